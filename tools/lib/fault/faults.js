// The faults of the run, in order (issue 11 "Done when"): each is injected while the load runs,
// and the stack is whole again when it returns.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @param {object} stack from startFaultStack
 * @param {number} downMs how long a killed process stays down
 * @returns {{name: string, inject: () => Promise<object|void>}[]}
 */
export function faultPlan(stack, downMs) {
  return [
    {
      name: 'kill -9 message-service',
      inject: async () => {
        await stack.message.kill();
        await sleep(downMs);
        await stack.message.start();
      },
    },
    {
      name: 'kill -9 chat-service-1',
      inject: async () => {
        await stack.chat[0].kill();
        await sleep(downMs);
        await stack.chat[0].start();
      },
    },
    {
      name: 'close AMQP connections',
      inject: async () => {
        const conns = await stack.management.connections('/');
        await Promise.all(conns.map((c) => stack.management.closeConnection(c.name)));
        return { closed: conns.length };
      },
    },
    {
      name: 'restart RabbitMQ',
      inject: async () => {
        await stack.rabbit.stop();
        await stack.rabbit.start();
      },
    },
    {
      name: 'restart Redis',
      inject: async () => {
        await stack.redis.stop();
        await sleep(downMs);
        await stack.redis.start();
      },
    },
  ];
}

// The faults of the run, in order (issue 11 "Done when"): each is injected while the load runs,
// and the stack (from startFaultStack) is whole again when it returns.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @type {{name: string, usesManagement?: boolean, inject: (stack: object, downMs: number) => Promise<object|void>}[]} */
export const FAULTS = [
  {
    name: 'kill -9 message-service',
    inject: async (stack, downMs) => {
      await stack.message.kill();
      await sleep(downMs);
      await stack.message.start();
    },
  },
  {
    name: 'kill -9 chat-service-1',
    inject: async (stack, downMs) => {
      await stack.chat[0].kill();
      await sleep(downMs);
      await stack.chat[0].start();
    },
  },
  {
    name: 'close AMQP connections',
    usesManagement: true,
    inject: async (stack) => {
      const conns = await stack.management.connections(stack.vhost);
      await Promise.all(conns.map((c) => stack.management.closeConnection(c.name)));
      return { closed: conns.length };
    },
  },
  {
    name: 'restart RabbitMQ',
    inject: async (stack) => {
      if (!stack.rabbit) throw new Error('restarting RabbitMQ needs the private node (no `broker` given)');
      await stack.rabbit.stop();
      await stack.rabbit.start();
    },
  },
  {
    name: 'restart Redis',
    inject: async (stack, downMs) => {
      await stack.redis.stop();
      await sleep(downMs);
      await stack.redis.start();
    },
  },
];

/** The faults named in `names` (all when absent), in the run's order; an unknown name throws. */
export function selectFaults(names) {
  const unknown = (names ?? []).filter((n) => !FAULTS.some((f) => f.name === n));
  if (unknown.length > 0)
    throw new Error(`unknown fault ${unknown.join(', ')}; known: ${FAULTS.map((f) => f.name).join(', ')}`);
  return names ? FAULTS.filter((f) => names.includes(f.name)) : FAULTS;
}

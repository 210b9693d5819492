import type { TestServices } from './services.js';

type Need = 'redis' | 'rabbitmq' | 'mongo';

/** Whether a Docker engine answers (testcontainers' own runtime detection). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Start the missing servers as containers; Ryuk removes them when the run ends. */
export async function startContainers(needs: Need[]): Promise<Partial<TestServices>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const out: Partial<TestServices> = {};
  await Promise.all(
    needs.map(async (need) => {
      if (need === 'redis') {
        const c = await new GenericContainer('redis:7').withExposedPorts(6379).start();
        out.redisUrl = `redis://${c.getHost()}:${c.getMappedPort(6379)}`;
      } else if (need === 'mongo') {
        const c = await new GenericContainer('mongo:7')
          .withExposedPorts(27017)
          .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
          .start();
        out.mongoUrl = `mongodb://${c.getHost()}:${c.getMappedPort(27017)}`;
      } else {
        const c = await new GenericContainer('rabbitmq:3.13-management')
          .withExposedPorts(5672, 15672)
          .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
          .start();
        out.amqpUrl = `amqp://guest:guest@${c.getHost()}:${c.getMappedPort(5672)}`;
        out.rabbitManagementUrl = `http://guest:guest@${c.getHost()}:${c.getMappedPort(15672)}`;
      }
    }),
  );
  return out;
}

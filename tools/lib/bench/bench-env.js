// What every bench script reads the same way: the shared servers from the environment (the
// names `npm run services:up` writes to .services/env) and its `--name value` options.

/** The shared servers (DESIGN.md §6 names); each stack gets its own isolation on them. */
export const SERVICES = {
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017',
  rabbitManagementUrl: process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
  source: 'env',
};

/** The value after `--name` in this process's arguments, else `fallback`. */
export function opt(name, fallback) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}

import type { TestProject } from 'vitest/node';
import { dockerAvailable, startContainers } from './containers.js';
import { resolveServices, tcpReachable } from './services.js';

/** Vitest global setup: find the real servers once per run and hand their URLs to every file. */
export default async function setup(project: TestProject): Promise<void> {
  const services = await resolveServices({
    env: process.env,
    dockerAvailable,
    reachable: (url) => tcpReachable(url),
    startContainers,
  });
  project.provide('services', services);
}

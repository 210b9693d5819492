import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Workspace packages resolve to their TypeScript sources in tests (no build step needed). */
export const workspaceAliases = {
  '@chat/contracts': src('./packages/contracts/src/index.ts'),
  '@chat/service-kit': src('./packages/service-kit/src/index.ts'),
  '@chat/testing': src('./packages/testing/src/index.ts'),
};

export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    // While a fault test's private Redis is down, ioredis rejects the fire-and-forget commands
    // it had queued (the Socket.IO Redis adapter's publishes) with MaxRetriesPerRequestError,
    // which nobody can await. chat-service's main.ts declares exactly these benign; in-process
    // test nodes have no such handler, so the same ones are filtered here. Anything else fails.
    onUnhandledError: (error) => (error.name === 'MaxRetriesPerRequestError' ? false : undefined),
    projects: [
      {
        extends: true,
        test: {
          name: 'services',
          include: [
            'packages/*/test/**/*.test.ts',
            '{user-service,message-service,chat-service,api-gateway,tools,deploy}/test/**/*.test.ts',
          ],
          environment: 'node',
          globalSetup: ['packages/testing/src/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Fault tests kill servers and race timers on a shared 2-core CI machine: one retry there
          // absorbs scheduling noise; a real failure fails twice. Locally, no retries.
          retry: process.env.CI ? 1 : 0,
        },
      },
      {
        extends: true,
        test: {
          name: 'ui',
          include: ['client-ui/test/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['client-ui/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['packages/testing/src/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Browser flows on a shared 2-core CI machine: one retry there, as for the services.
          retry: process.env.CI ? 1 : 0,
        },
      },
    ],
  },
});

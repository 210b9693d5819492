// tsc of the workspaces a local stack runs (the UI is not needed), so a bench or fault run
// measures this tree rather than an older dist/.
import { spawn } from 'node:child_process';

export const BACKEND_WORKSPACES = [
  'packages/contracts',
  'packages/service-kit',
  'packages/testing',
  'user-service',
  'message-service',
  'chat-service',
  'api-gateway',
];

export async function buildBackend(root, log) {
  log(`building ${BACKEND_WORKSPACES.join(', ')}`);
  const child = spawn('npm', ['run', 'build', ...BACKEND_WORKSPACES.flatMap((w) => ['-w', w])], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`build failed (exit ${code})`);
}

import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDefinitions } from './broker-definitions.js';
import { ROOT } from './repo.js';

const SCRIPT = path.join(ROOT, 'deploy/rabbitmq/entrypoint.sh');
const PASSWORDS = {
  RABBITMQ_ADMIN_PASSWORD: 'admin-pw',
  CHAT_SERVICE_AMQP_PASSWORD: 'chat-pw',
  MESSAGE_SERVICE_AMQP_PASSWORD: 'message-pw',
};

/**
 * The compose entrypoint of the rabbitmq container, run with stand-ins for `rabbitmqctl` and
 * the image's `docker-entrypoint.sh` that record what they were asked to do.
 */
describe('deploy/rabbitmq/entrypoint.sh', () => {
  let dir: string;
  const log = () => readFileSync(path.join(dir, 'calls.log'), 'utf8').trim().split('\n');
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  const run = (env: Record<string, string>) =>
    promisify(execFile)('sh', [SCRIPT], {
      env: { PATH: `${dir}:${process.env.PATH}`, RABBITMQ_READY_MARKER: path.join(dir, 'ready'), ...env },
    });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rabbit-entrypoint-'));
    // Like the real one: fails at once while the node is not up yet (here: the first call).
    stub(
      'rabbitmqctl',
      `echo "rabbitmqctl $*" >> "${dir}/calls.log"; [ -f "${dir}/up" ] || { touch "${dir}/up"; exit 69; }`,
    );
    // The broker runs until the passwords are set (what the healthcheck waits for).
    stub(
      'docker-entrypoint.sh',
      `echo "server $*" >> "${dir}/calls.log"; i=0; while [ ! -f "${dir}/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done`,
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the broker and sets the password of every user in the definitions once it is up', async () => {
    await run(PASSWORDS);
    expect(existsSync(path.join(dir, 'ready'))).toBe(true);
    const calls = log();
    expect(calls).toContain('server rabbitmq-server');
    const ctl = calls.filter((c) => c.startsWith('rabbitmqctl'));
    // Retried until the node answers.
    expect(ctl.slice(0, 2)).toEqual(['rabbitmqctl --quiet await_startup', 'rabbitmqctl --quiet await_startup']);
    const changed = ctl.slice(2).map((c) => /change_password (\S+) (\S+)$/.exec(c)!.slice(1));
    expect(changed).toEqual([
      ['admin', 'admin-pw'],
      ['chat-service', 'chat-pw'],
      ['message-service', 'message-pw'],
    ]);
    expect(changed.map(([user]) => user).sort()).toEqual(
      readDefinitions()
        .users.map((u) => u.name)
        .sort(),
    );
  });

  it('refuses to start without a password, naming the missing variable', async () => {
    const { CHAT_SERVICE_AMQP_PASSWORD: _omitted, ...rest } = PASSWORDS;
    await expect(run(rest)).rejects.toThrow(/CHAT_SERVICE_AMQP_PASSWORD/);
    expect(existsSync(path.join(dir, 'calls.log'))).toBe(false);
  });
});

import { fileURLToPath } from 'node:url';
import { onlineUserIds, sharedKeys, type PresenceEvent } from '@chat/contracts';
import { startServiceProcess, testKeyPair, type ServiceProcess } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOWED_ORIGIN,
  connect,
  connected,
  freePort,
  join,
  tokenFor,
  useChatCluster,
  userFor,
  waitFor,
} from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TTL_SEC = 3;
const SWEEP_MS = 200;
const env = { PRESENCE_TTL_SEC: String(TTL_SEC), PRESENCE_SWEEP_INTERVAL_MS: String(SWEEP_MS) };
const cluster = useChatCluster('chat-presence-crash', { env: () => env });
let victim: ServiceProcess;
let redis: Redis;

beforeAll(async () => {
  const iso = cluster.iso();
  redis = new Redis(iso.redisUrl);
  victim = await startServiceProcess({
    name: 'chat-service (to be killed)',
    entry: 'chat-service/src/main.ts',
    cwd: ROOT,
    port: await freePort(),
    readyPath: '/ready',
    env: {
      ...env,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_PUBLIC_KEY: testKeyPair().publicKey.replace(/\n/g, '\\n'),
      REDIS_URL: iso.redisUrl,
      REDIS_KEY_PREFIX: iso.redisPrefix,
      AMQP_URL: iso.amqpUrl,
      ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    },
  });
});
afterAll(async () => {
  await victim?.kill();
  redis?.disconnect();
});

describe('presence when a node dies', () => {
  it('a node killed with SIGKILL leaves its users online no longer than the TTL: the other node announces them offline', async () => {
    const room = 'crash-room';
    const watching = userFor();
    const watcher = await connected(connect(cluster.url(), tokenFor(watching)));
    const events: PresenceEvent[] = [];
    watcher.on('presence', (e) => events.push(e));
    await join(watcher, room);
    const ada = userFor(undefined, 'Ada');
    const doomed = await connected(connect(victim.url, tokenFor(ada)));
    await join(doomed, room);
    await waitFor(() => events.some((e) => e.userId === ada.userId && e.online), 5000, 'online from the doomed node');

    const presenceKey = sharedKeys(cluster.iso().redisPrefix).roomPresence(room);
    const aliveUntil = Number(await redis.zscore(presenceKey, `${ada.userId}:${doomed.id}`));
    const killedAt = Date.now();
    await victim.kill();
    await waitFor(
      () => events.some((e) => e.userId === ada.userId && !e.online),
      (TTL_SEC + 5) * 1000,
      'offline after the TTL',
    );
    const tookMs = Date.now() - killedAt;
    // No sooner than her entry's expiry (her socket never closed: nothing told Redis), and soon after it.
    expect(Date.now()).toBeGreaterThanOrEqual(aliveUntil - 100);
    expect(tookMs).toBeLessThan(TTL_SEC * 1000 + SWEEP_MS + 1500);
    expect(events.filter((e) => e.userId === ada.userId)).toEqual([
      { roomId: room, userId: ada.userId, displayName: 'Ada', online: true },
      { roomId: room, userId: ada.userId, displayName: 'Ada', online: false },
    ]);
    expect(await redis.zscore(presenceKey, `${ada.userId}:${doomed.id}`)).toBeNull();
    const [member, score] = await redis.zrange(presenceKey, 0, -1, 'WITHSCORES');
    expect(onlineUserIds([[member!, Number(score)]], Date.now())).toEqual(new Set([watching.userId]));
  }, 60_000);
});

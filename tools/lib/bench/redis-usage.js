// What a stack keeps in Redis under its key prefix: keys and bytes (MEMORY USAGE, which counts
// the key, its value and allocator overhead), by kind of key (chat-service keys.ts names).
import { Redis } from 'ioredis';

/**
 * The kind of a chat key after the prefix: `sent`, `room:…:recent` → `recent`, per-message
 * `room:…:msg:<id>` → `msg` (and its `:lock`). Room ids may hold colons (`dm:<a>:<b>`), so
 * room keys are told by their ending.
 */
export function kindOf(rest) {
  if (rest.startsWith('room:')) {
    const perMessage = /:msg:[^:]+(:lock)?$/.exec(rest);
    if (perMessage) return perMessage[1] ? 'msg-lock' : 'msg';
    return rest.slice(rest.lastIndexOf(':') + 1);
  }
  return rest.split(':')[0];
}

/** Keys and bytes under `prefix`, in all and by kind. */
export async function redisUsage(redisUrl, prefix) {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    const byKind = {};
    let keys = 0;
    let bytes = 0;
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (batch.length === 0) continue;
      const pipeline = redis.pipeline();
      for (const key of batch) pipeline.memory('USAGE', key);
      const sizes = await pipeline.exec();
      batch.forEach((key, n) => {
        const size = Number(sizes[n][1] ?? 0);
        const kind = kindOf(key.slice(prefix.length));
        byKind[kind] ??= { keys: 0, bytes: 0 };
        byKind[kind].keys++;
        byKind[kind].bytes += size;
        keys++;
        bytes += size;
      });
    } while (cursor !== '0');
    return { keys, bytes, byKind };
  } finally {
    redis.disconnect();
  }
}

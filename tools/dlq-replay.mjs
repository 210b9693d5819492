#!/usr/bin/env node
// Moves dead-lettered chat messages from message_persist_queue.dlq back to chat_exchange with
// their routing key (messages.<roomId>), so message-service stores them once the cause is fixed.
// `node tools/dlq-replay.mjs --help`; docs/operations.md has the procedure.
//
// Only the messages in the DLQ when it starts are examined, so one that fails again during the
// run is not picked up twice. A message whose body is not a chat Message stays in the DLQ
// (storing it cannot succeed), and so does one the broker could not route. Replaying is safe
// to repeat: message-service stores a message once, whatever its deliveries.
// Imports the contracts' built output: `npm run build -w packages/contracts` once (npm start does).
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CHAT_EXCHANGE,
  DEAD_LETTER_REASON_HEADER,
  MESSAGE_PERSIST_DLQ,
  messageRoutingKey,
  parseQueuedEvent,
} from '@chat/contracts';
import amqp from 'amqplib';

const USAGE = `usage: node tools/dlq-replay.mjs [--dry-run] [--limit N] [--url AMQP_URL]

Moves messages from ${MESSAGE_PERSIST_DLQ} back to ${CHAT_EXCHANGE}, each with the routing
key of its room, for message-service to store them again.

  --dry-run   list what would be moved and what would stay; change nothing
  --limit N   examine at most the first N messages of the DLQ
  --url URL   the broker, vhost included (default: $AMQP_URL), as a user allowed to read
              ${MESSAGE_PERSIST_DLQ} and write ${CHAT_EXCHANGE} (the admin user)
`;

export class UsageError extends Error {}

/** Command-line options, or UsageError. */
export function parseCli(argv, env) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'dry-run': { type: 'boolean', default: false },
        limit: { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError(err.message);
  }
  if (parsed.help) return { help: true };
  const url = parsed.url ?? env.AMQP_URL;
  if (!url) throw new UsageError('no broker: pass --url or set AMQP_URL');
  if (!/^amqps?:\/\//.test(url)) throw new UsageError('--url must be an amqp:// or amqps:// URL');
  let limit = Infinity;
  if (parsed.limit !== undefined) {
    if (!/^[1-9]\d*$/.test(parsed.limit)) throw new UsageError('--limit must be a positive integer');
    limit = Number(parsed.limit);
  }
  return { help: false, url, dryRun: parsed['dry-run'], limit };
}

/** Headers the dead-lettering added; a replayed message starts over without them. */
const isDeadLetterHeader = (name) =>
  name === DEAD_LETTER_REASON_HEADER || /^x-(death|first-death-|last-death-|original-)/.test(name);

function deadLetterReason(headers) {
  const death = Array.isArray(headers['x-death']) ? headers['x-death'][0] : undefined;
  return String(headers[DEAD_LETTER_REASON_HEADER] ?? headers['x-first-death-reason'] ?? death?.reason ?? 'unknown');
}

/** Where a dead letter would go: its room's routing key, or why it stays. */
export function planReplay(msg) {
  const headers = msg.properties.headers ?? {};
  const entry = { messageId: msg.properties.messageId, reason: deadLetterReason(headers) };
  let body;
  try {
    body = parseQueuedEvent(JSON.parse(msg.content.toString('utf8')));
  } catch {
    return { ...entry, keep: 'body is not JSON' };
  }
  if (!body.success) return { ...entry, keep: 'body is not a chat message' };
  const { message } = body.data;
  return { ...entry, messageId: entry.messageId ?? message.id, routingKey: messageRoutingKey(message.roomId) };
}

function replayProperties(p) {
  const headers = Object.fromEntries(Object.entries(p.headers ?? {}).filter(([name]) => !isDeadLetterHeader(name)));
  const kept = Object.entries({
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    messageId: p.messageId,
    timestamp: p.timestamp,
    appId: p.appId,
    type: p.type,
    correlationId: p.correlationId,
  }).filter(([, v]) => v !== undefined);
  return { ...Object.fromEntries(kept), headers, persistent: true, mandatory: true };
}

/**
 * Examines the DLQ's messages (at most `limit`): with `dryRun` all stay; otherwise each
 * replayable one is published to chat_exchange, confirmed, then acked off the DLQ.
 * Resolves with `{ moved, kept }` (in a dry run, `moved` is what would move).
 */
export async function replayDeadLetters({ url, dryRun = false, limit = Infinity, name = `dlq-replay@${hostname()}` }) {
  const conn = await amqp.connect(url, { clientProperties: { connection_name: name } });
  try {
    const ch = await conn.createConfirmChannel();
    let returned = false;
    ch.on('return', () => {
      returned = true;
    });
    const { messageCount } = await ch.checkQueue(MESSAGE_PERSIST_DLQ);
    const moved = [];
    const kept = [];
    // Held unacked until the end, so `get` does not hand the same message out again.
    const held = [];
    for (let examined = 0; examined < Math.min(messageCount, limit); examined++) {
      const msg = await ch.get(MESSAGE_PERSIST_DLQ, { noAck: false });
      if (!msg) break;
      const plan = planReplay(msg);
      if (plan.keep || dryRun) {
        (plan.keep ? kept : moved).push(plan);
        held.push(msg);
        continue;
      }
      returned = false;
      await new Promise((resolve, reject) =>
        ch.publish(CHAT_EXCHANGE, plan.routingKey, msg.content, replayProperties(msg.properties), (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      // basic.return comes before the confirm: nothing is bound for this key (topology missing).
      if (returned) {
        kept.push({ ...plan, keep: `unroutable: no queue bound for ${plan.routingKey}` });
        held.push(msg);
        continue;
      }
      ch.ack(msg);
      moved.push(plan);
    }
    for (const msg of held) ch.nack(msg, false, true);
    await ch.close();
    return { moved, kept };
  } finally {
    await conn.close().catch(() => undefined);
  }
}

function report({ moved, kept }, dryRun) {
  const verb = dryRun ? 'would move' : 'moved';
  for (const m of moved) console.log(`${verb} ${m.messageId} -> ${m.routingKey} (dead-lettered: ${m.reason})`);
  for (const m of kept) console.log(`kept ${m.messageId ?? '(no id)'}: ${m.keep} (dead-lettered: ${m.reason})`);
  console.log(`${verb} ${moved.length}, kept ${kept.length}${dryRun ? '; nothing was changed' : ''}`);
}

async function main() {
  let opts;
  try {
    opts = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`dlq-replay: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  report(await replayDeadLetters(opts), opts.dryRun);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`dlq-replay: ${err.message}\n`);
      process.exit(1);
    },
  );
}

import {
  CHAT_EXCHANGE,
  DEAD_LETTER_REASON_HEADER,
  MESSAGE_PERSIST_DLQ,
  MESSAGE_PERSIST_DLX,
  MESSAGE_PERSIST_QUEUE,
  messageRoutingKey,
  type Message,
} from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import amqp, { type ChannelModel, type ConfirmChannel, type GetMessage } from 'amqplib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCli, replayDeadLetters, UsageError } from '../../tools/dlq-replay.mjs';
import { importDefinitions, isolatedDefinitions } from './broker-definitions.js';

const message = (roomId: string, n: number): Message => ({
  id: `m-${roomId}-${n}`,
  roomId,
  seq: n,
  version: n,
  senderId: 'a'.repeat(24),
  senderName: 'Alice',
  text: `hello ${n}`,
  clientMsgId: `c-${n}`,
  createdAt: '2026-11-25T07:00:00.000Z',
});

describe('tools/dlq-replay.mjs against a real broker', () => {
  const iso = useIsolation('dlq-replay');
  let conn: ChannelModel;
  let ch: ConfirmChannel;

  const publish = (exchange: string, key: string, body: string, headers: Record<string, unknown> = {}) =>
    new Promise<void>((resolve, reject) =>
      ch.publish(exchange, key, Buffer.from(body), { persistent: true, headers }, (err) =>
        err ? reject(err as Error) : resolve(),
      ),
    );
  const count = async (queue: string) => (await ch.checkQueue(queue)).messageCount;
  const waitForCount = async (queue: string, n: number) => {
    const deadline = Date.now() + 5000;
    while ((await count(queue)) !== n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return count(queue);
  };
  const drain = async (queue: string) => {
    const out: GetMessage[] = [];
    for (let m = await ch.get(queue, { noAck: true }); m; m = await ch.get(queue, { noAck: true })) out.push(m);
    return out;
  };

  beforeAll(async () => {
    // The production topology (no users: the test logs in as the vhost's owner).
    const { definitions } = isolatedDefinitions(iso());
    await importDefinitions(iso(), { ...definitions, users: [], permissions: [] });
    conn = await amqp.connect(iso().amqpUrl);
    ch = await conn.createConfirmChannel();
  });
  afterAll(async () => {
    await conn?.close();
  });

  /** Three dead letters, one of each kind. */
  beforeEach(async () => {
    await drain(MESSAGE_PERSIST_DLQ);
    await drain(MESSAGE_PERSIST_QUEUE);
    // As message-service dead-letters a message MongoDB kept rejecting: published to the DLX.
    await publish(MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLQ, JSON.stringify(message('general', 1)), {
      [DEAD_LETTER_REASON_HEADER]: 'write rejected: document failed validation',
    });
    // As the broker dead-letters a rejected delivery: it keeps x-death, not the room's key.
    await publish(CHAT_EXCHANGE, messageRoutingKey('team-b'), JSON.stringify(message('team-b', 2)));
    await waitForCount(MESSAGE_PERSIST_QUEUE, 1);
    const delivery = await ch.get(MESSAGE_PERSIST_QUEUE, { noAck: false });
    ch.nack(delivery as GetMessage, false, false);
    // Garbage no fix can store.
    await publish(MESSAGE_PERSIST_DLX, MESSAGE_PERSIST_DLQ, 'not json', { [DEAD_LETTER_REASON_HEADER]: 'bad json' });
    expect(await waitForCount(MESSAGE_PERSIST_DLQ, 3)).toBe(3);
  });

  it('--dry-run lists what would move, with each room key, and changes nothing', async () => {
    const result = await replayDeadLetters({ url: iso().amqpUrl, dryRun: true });
    expect(result.moved.map((m) => [m.routingKey, m.reason])).toEqual([
      [messageRoutingKey('general'), 'write rejected: document failed validation'],
      [messageRoutingKey('team-b'), 'rejected'],
    ]);
    expect(result.kept.map((m) => m.keep)).toEqual(['body is not JSON']);
    expect(await waitForCount(MESSAGE_PERSIST_DLQ, 3)).toBe(3);
    expect(await count(MESSAGE_PERSIST_QUEUE)).toBe(0);
  });

  it('moves every chat message back to chat_exchange with its routing key; the rest stays', async () => {
    const result = await replayDeadLetters({ url: iso().amqpUrl });
    expect(result.moved).toHaveLength(2);
    expect(await waitForCount(MESSAGE_PERSIST_QUEUE, 2)).toBe(2);
    const replayed = await drain(MESSAGE_PERSIST_QUEUE);
    expect(replayed.map((m) => [m.fields.exchange, m.fields.routingKey])).toEqual([
      [CHAT_EXCHANGE, messageRoutingKey('general')],
      [CHAT_EXCHANGE, messageRoutingKey('team-b')],
    ]);
    expect(replayed.map((m) => (JSON.parse(m.content.toString()) as Message).id)).toEqual([
      'm-general-1',
      'm-team-b-2',
    ]);
    // A fresh start: no dead-letter history rides along.
    for (const m of replayed) {
      expect(Object.keys(m.properties.headers ?? {}).filter((h) => /death|dead-letter/.test(h))).toEqual([]);
      expect(m.properties.deliveryMode).toBe(2);
    }
    const left = await drain(MESSAGE_PERSIST_DLQ);
    expect(left.map((m) => m.content.toString())).toEqual(['not json']);
  });

  it('--limit examines only the first N', async () => {
    const result = await replayDeadLetters({ url: iso().amqpUrl, limit: 1 });
    expect(result.moved.map((m) => m.routingKey)).toEqual([messageRoutingKey('general')]);
    expect(await waitForCount(MESSAGE_PERSIST_DLQ, 2)).toBe(2);
  });

  it('keeps messages the broker cannot route (topology missing) in the DLQ', async () => {
    await ch.unbindQueue(MESSAGE_PERSIST_QUEUE, CHAT_EXCHANGE, 'messages.*');
    try {
      const result = await replayDeadLetters({ url: iso().amqpUrl });
      expect(result.moved).toEqual([]);
      expect(result.kept.map((m) => m.keep)).toContain(
        `unroutable: no queue bound for ${messageRoutingKey('general')}`,
      );
      expect(await waitForCount(MESSAGE_PERSIST_DLQ, 3)).toBe(3);
    } finally {
      await ch.bindQueue(MESSAGE_PERSIST_QUEUE, CHAT_EXCHANGE, 'messages.*');
    }
  });
});

describe('dlq-replay command line', () => {
  it('takes the broker from --url or AMQP_URL, and a positive --limit', () => {
    expect(parseCli(['--dry-run'], { AMQP_URL: 'amqp://admin:pw@rabbitmq/chat' })).toEqual({
      help: false,
      url: 'amqp://admin:pw@rabbitmq/chat',
      dryRun: true,
      limit: Infinity,
    });
    expect(parseCli(['--url', 'amqps://h/chat', '--limit', '10'], {})).toMatchObject({
      url: 'amqps://h/chat',
      limit: 10,
    });
  });

  it.each([
    [[], 'no broker'],
    [['--url', 'http://h'], 'amqp://'],
    [['--url', 'amqp://h', '--limit', '0'], 'positive integer'],
    [['--url', 'amqp://h', '--force'], "Unknown option '--force'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(UsageError);
    expect(() => parseCli(argv, {})).toThrow(message);
  });
});

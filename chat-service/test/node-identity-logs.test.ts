import { listen } from '@chat/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatService, type ChatService } from '../src/service.js';
import { bindSink, connect, connected, send, testConfig, tokenFor, userFor, waitFor, type Sink } from './helpers.js';
import { capturingLogger } from './log-capture.js';
import { useIsolation } from '@chat/testing';

const iso = useIsolation('chat-node-logs');
const { log, lines } = capturingLogger();
let service: ChatService;
let url: string;
let sink: Sink;

beforeAll(async () => {
  sink = await bindSink(iso().amqpUrl);
  service = createChatService(testConfig(iso(), { NODE_ID: 'chat-7' }), log, {
    processMetrics: false,
  });
  await service.infra.publisher.start();
  url = `http://127.0.0.1:${await listen(service.app.server, 0, '127.0.0.1')}`;
});
afterAll(async () => {
  await service?.close();
  await sink?.close();
});

describe('a node says who it is and what is wrong, not more', () => {
  it('names its RabbitMQ connection chat-service@<NODE_ID>', async () => {
    let names: (string | undefined)[] = [];
    await waitFor(
      async () => {
        names = (await iso().rabbit.connections(iso().vhost)).map((c) => c.clientName);
        return names.some((n) => n?.startsWith('chat-service@'));
      },
      15_000,
      'the chat connection in the management API',
    );
    expect(names.filter((n) => n?.startsWith('chat-service@'))).toEqual(['chat-service@chat-7']);
  });

  it('logs sends the broker refuses at warn, once per reason and without a stack, not one error each', async () => {
    const socket = await connected(connect(url, tokenFor(userFor())));
    expect((await send(socket, 'logs', 'routed')).ok).toBe(true);
    const from = lines.length;
    await sink.unbind();
    try {
      const acks = await Promise.all(Array.from({ length: 50 }, (_, i) => send(socket, 'logs', `unroutable ${i}`)));
      expect(acks.map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(Array(50).fill('UNAVAILABLE'));
    } finally {
      await sink.rebind();
    }
    expect((await send(socket, 'logs', 'routed again')).ok).toBe(true);

    const during = lines.slice(from);
    expect(during.filter((l) => l.level === 'error')).toEqual([]);
    const refusing = during.filter((l) => l.msg === 'refusing');
    expect(refusing).toHaveLength(1);
    expect(refusing[0]).toMatchObject({ level: 'warn', topic: 'sendMessage' });
    expect(JSON.stringify(refusing)).not.toMatch(/stack/);
    expect(during.filter((l) => l.msg === 'serving again')).toMatchObject([{ topic: 'sendMessage', repeats: 49 }]);
  });
});

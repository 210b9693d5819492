// A persistence backlog for the drain benchmark: `n` valid messages of one room published to
// chat_exchange as chat-service publishes them (persistent, routing key messages.<roomId>;
// packages/contracts/src/queue.ts), on a confirm channel.
import { randomBytes, randomUUID } from 'node:crypto';
import amqp from 'amqplib';

const CHAT_EXCHANGE = 'chat_exchange';
const CONFIRM_BATCH = 1000;

/** Resolves once the broker has confirmed all `n`; returns the publish rate. */
export async function publishBacklog(amqpUrl, roomId, n) {
  const conn = await amqp.connect(amqpUrl, { noDelay: true });
  try {
    const ch = await conn.createConfirmChannel();
    const senderId = randomBytes(12).toString('hex');
    const t0 = performance.now();
    for (let seq = 1; seq <= n; seq++) {
      const message = {
        id: randomUUID(),
        roomId,
        seq,
        senderId,
        senderName: 'bench',
        text: `backlog message ${seq} `.padEnd(64, 'x'),
        clientMsgId: `backlog-${seq}`,
        createdAt: new Date().toISOString(),
      };
      ch.publish(CHAT_EXCHANGE, `messages.${roomId}`, Buffer.from(JSON.stringify(message)), {
        persistent: true,
        contentType: 'application/json',
      });
      if (seq % CONFIRM_BATCH === 0) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    return { publishPerSec: n / ((performance.now() - t0) / 1000) };
  } finally {
    await conn.close().catch(() => undefined);
  }
}

import { JOIN_MISSED_MAX, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi, startStack, type Stack } from './stack.js';
import { connectScriptSocket, DESKTOP, joinRoom, openPage, PASSWORD, signUp, status, texts } from './ui-actions.js';

/**
 * Catch-up through the real stack (issue 11 items 6-7): a reader away while more messages
 * arrive than one join answers (JOIN_MISSED_MAX) rejoins from its own watermark, gets
 * `hasMore: true`, and pages history until complete — every message once, in seq order.
 */
const iso = useIsolation('client-ui-e2e-resync');
let ui: Awaited<ReturnType<typeof buildUi>>;
let stack: Stack;
let browser: Browser;
let page: Page;
let writer: Socket | undefined;

beforeAll(async () => {
  ui = await buildUi();
  stack = await startStack(iso(), ui.dir);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await openPage(browser, stack.url, DESKTOP);
});

afterAll(async () => {
  writer?.disconnect();
  await page?.context().close();
  await browser?.close();
  await stack?.close();
  await ui?.remove();
});

describe('resync through the real stack', () => {
  it('a reader away for more than one join can answer catches up completely, each message once, in order', async () => {
    await signUp(page, 'rhea', 'Rhea Reader');
    await joinRoom(page, 'catchup');
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('connected');

    const res = await fetch(`${stack.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'walt', password: PASSWORD }),
    });
    const { token } = (await res.json()) as { token: string };
    writer = await connectScriptSocket(stack.url, token);
    await writer.timeout(10_000).emitWithAck('joinRoom', { roomId: 'catchup' });
    const sent: Message[] = [];
    const sendBatch = async (from: number, count: number) => {
      const acks = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          writer!
            .timeout(20_000)
            .emitWithAck('sendMessage', { roomId: 'catchup', clientMsgId: `w-${from + i}`, text: `Line ${from + i}` }),
        ),
      );
      for (const ack of acks) sent.push(ack.ok ? ack.message : expect.fail(`send refused: ${ack.error.message}`));
    };
    await sendBatch(0, 3);
    const inOrder = () => [...sent].sort((a, b) => a.seq - b.seq).map((m) => m.text);
    await expect.poll(() => texts(page), { timeout: 15_000 }).toEqual(inOrder());

    await page.context().setOffline(true);
    await expect.poll(() => status(page), { timeout: 5_000 }).toBe('offline');
    const away = JOIN_MISSED_MAX + 60;
    for (let i = 3; i < 3 + away; i += 50) await sendBatch(i, Math.min(50, 3 + away - i));
    const pagedAfter: string[] = [];
    page.on('request', (req) => {
      const after = new URL(req.url()).searchParams.get('after');
      if (req.url().includes('/messages/history/catchup') && after !== null) pagedAfter.push(after);
    });
    await page.context().setOffline(false);

    await expect.poll(() => status(page), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => texts(page), { timeout: 30_000, interval: 250 }).toEqual(inOrder());
    // The join could not answer it all (hasMore): the rest was paged from the reader's own
    // watermark — at most the last seq it held before going away (lower while the hole before
    // the room's first seq was still unexplained), never from the end of the capped batch.
    expect(pagedAfter.length).toBeGreaterThan(0);
    expect(Number(pagedAfter[0])).toBeLessThanOrEqual(Math.max(...sent.slice(0, 3).map((m) => m.seq)));
  });
});

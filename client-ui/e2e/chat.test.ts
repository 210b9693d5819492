import { mkdir } from 'node:fs/promises';
import { dmRoomId } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi, startStack, type Stack } from './stack.js';
import {
  connectScriptSocket,
  DESKTOP,
  expectConversation,
  openPage,
  openSidebar,
  PASSWORD,
  PHONE,
  SCREENSHOTS,
  shot,
  signUp,
  startDirect,
  status,
  talk,
  texts,
  joinRoom,
  send,
} from './ui-actions.js';

const iso = useIsolation('client-ui-e2e');
let ui: Awaited<ReturnType<typeof buildUi>>;
let stack: Stack;
let browser: Browser;
let ada: Page;
let bob: Page;
const contexts: BrowserContext[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  ui = await buildUi();
  stack = await startStack(iso(), ui.dir);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  ada = await newPage(DESKTOP);
  bob = await newPage(PHONE, { isMobile: true, hasTouch: true });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
  await ui?.remove();
});

async function newPage(
  viewport: { width: number; height: number },
  extra: { isMobile?: boolean; hasTouch?: boolean } = {},
) {
  const page = await openPage(browser, stack.url, viewport, extra);
  contexts.push(page.context());
  return page;
}

async function api<T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const res = await fetch(`${stack.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

// ---- the scenario, in order ----

const conversation: string[] = [];

describe('chat in the browser, through the gateway, against the real services', () => {
  it('shows API field errors inline, then two users sign up', async () => {
    await ada.getByRole('button', { name: 'Sign up' }).click();
    await ada.getByLabel('Username').fill('ada');
    await ada.getByLabel('Password').fill('short');
    await ada.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => ada.getByTestId('password-error').textContent()).toMatch(/at least 8/);
    await shot(ada, '01-signup-error-desktop');
    await ada.getByRole('button', { name: 'Log in' }).first().click();
    await ada.getByRole('button', { name: 'Sign up' }).click();
    await signUp(ada, 'ada', 'Ada Lovelace');
    await shot(ada, '02-welcome-desktop');

    await shot(bob, '03-login-phone');
    await signUp(bob, 'bob', 'Bob Stone');
    // A taken username comes back from the API as a field error.
    const taken = await api<{ error: { code: string } }>('/auth/register', {
      method: 'POST',
      body: { username: 'bob', password: PASSWORD },
    });
    expect(taken.status).toBe(409);
  });

  it('both join a room and exchange messages both ways; markup is shown as text', async () => {
    await joinRoom(ada, 'general');
    await joinRoom(bob, 'general');
    await expect.poll(() => status(ada)).toBe('connected');
    await expect.poll(() => status(bob)).toBe('connected');

    await talk(
      [
        [ada, 'Hi Bob! Welcome to #general.'],
        [bob, 'Hey Ada, glad to be here.\nThis one has two lines.'],
        [ada, '<b>not bold</b> <img src=x onerror="window.__pwned=1">'],
        [bob, `Long words wrap: ${'supercalifragilistic'.repeat(8)}`],
        [ada, 'Perfect. Let’s test a restart next.'],
      ],
      conversation,
      [ada, bob],
    );

    expect(await ada.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await ada.locator('.msg__text b, .msg__text img').count()).toBe(0);
    for (const page of [ada, bob]) {
      const overflow = await page.getByTestId('message-scroll').evaluate((el) => el.scrollWidth - el.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }
    await shot(ada, '04-room-desktop');
    await shot(bob, '05-room-phone');
    await openSidebar(bob);
    await shot(bob, '06-sidebar-phone');
    // Focus moved into the drawer; Escape closes it.
    await bob.keyboard.press('Escape');
    await bob.getByRole('button', { name: 'Close conversations' }).waitFor({ state: 'hidden' });
  });

  it('a reload keeps the session and the room, and shows the history', async () => {
    await bob.reload();
    await bob.getByRole('heading', { name: 'general' }).waitFor();
    await expectConversation([bob], conversation);
  });

  it('scroll-back pages older history in order', async () => {
    // Enough messages for more than one history page (50) plus what is already there.
    const token = await ada.evaluate(() => JSON.parse(localStorage.getItem('chat.session')!).token as string);
    const socket = await connectSocket(token);
    await socket.timeout(10_000).emitWithAck('joinRoom', { roomId: 'general' });
    const acks = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        socket
          .timeout(10_000)
          .emitWithAck('sendMessage', { roomId: 'general', clientMsgId: `backlog-${i}`, text: `Backlog message ${i}` }),
      ),
    );
    socket.disconnect();
    // Sent concurrently: the server's seq decides their order.
    const accepted = acks.map((ack) => (ack.ok ? ack.message : expect.fail(`send refused: ${ack.error.message}`)));
    conversation.push(...accepted.sort((a, b) => a.seq - b.seq).map((m) => m.text));
    await expectConversation([ada], conversation);
    await bob.reload();
    await bob.getByRole('heading', { name: 'general' }).waitFor();
    // Only the newest page at first, then older pages as the reader scrolls up.
    await expect.poll(async () => (await texts(bob)).at(-1)).toBe(conversation.at(-1));
    expect((await texts(bob)).length).toBeLessThan(conversation.length);
    for (let i = 0; i < 10 && (await texts(bob)).length < conversation.length; i++) {
      await bob.getByTestId('message-scroll').evaluate((el) => el.scrollTo({ top: 0 }));
      await bob.waitForTimeout(150);
    }
    await expectConversation([bob], conversation);
    await bob.getByTestId('message-scroll').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  });

  it('chat-service restarts mid-conversation: both reconnect and see every message exactly once', async () => {
    await stack.stopChat();
    await expect.poll(() => status(ada), { timeout: 10_000 }).not.toBe('connected');
    await expect.poll(() => status(bob), { timeout: 10_000 }).not.toBe('connected');

    // Written while the server is away: pending until it is back.
    const whileDown = 'Sent while the chat server was restarting';
    await send(ada, whileDown);
    await expect.poll(() => ada.getByTestId('message').last().getAttribute('data-status')).toBe('pending');
    await shot(ada, '07-reconnecting-desktop');
    await shot(bob, '08-reconnecting-phone');

    await stack.startChat();
    await expect.poll(() => status(ada), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => status(bob), { timeout: 20_000 }).toBe('connected');
    // Sent by the client itself once connected again, no Retry needed.
    const last = ada.getByTestId('message').last();
    await expect.poll(() => last.getAttribute('data-status'), { timeout: 20_000 }).toBe('sent');
    conversation.push(whileDown);

    await talk(
      [
        [bob, 'Back again — did anything get lost?'],
        [ada, 'Nothing lost, nothing doubled.'],
      ],
      conversation,
    );
    await expectConversation([ada, bob], conversation);
  });

  it('a user who was offline catches up from the missed batch on rejoin', async () => {
    await bob.context().setOffline(true);
    await expect.poll(() => status(bob), { timeout: 10_000 }).toBe('offline');
    await shot(bob, '09-offline-phone');
    await talk(
      ['Missed one', 'Missed two', 'Missed three'].map((text) => [ada, text] as const),
      conversation,
    );
    await expectConversation([ada], conversation);
    await bob.context().setOffline(false);
    await expect.poll(() => status(bob), { timeout: 20_000 }).toBe('connected');
    await expectConversation([bob], conversation);
  });

  it('a direct conversation works between its two members and nobody else can read it', async () => {
    await startDirect(ada, 'bob', 'Bob Stone');
    await startDirect(bob, 'ada', 'Ada Lovelace');
    const dm: string[] = [];
    await talk(
      [
        [ada, 'Psst — this one is just between us.'],
        [bob, 'Got it. Secret plans only.'],
      ],
      dm,
      [ada, bob],
    );
    await shot(ada, '10-direct-desktop');
    await shot(bob, '11-direct-phone');
    await ada.emulateMedia({ colorScheme: 'dark' });
    await shot(ada, '12-direct-desktop-dark');
    await ada.emulateMedia({ colorScheme: 'light' });

    const adaUser = await ada.evaluate(() => JSON.parse(localStorage.getItem('chat.session')!).user as { id: string });
    const bobUser = await bob.evaluate(() => JSON.parse(localStorage.getItem('chat.session')!).user as { id: string });
    const roomId = dmRoomId(adaUser.id, bobUser.id);

    const eve = await api<{ token: string }>('/auth/register', {
      method: 'POST',
      body: { username: 'eve', password: PASSWORD },
    });
    expect(eve.status).toBe(201);
    const history = await api<{ error: { code: string } }>(`/messages/history/${encodeURIComponent(roomId)}`, {
      token: eve.body.token,
    });
    expect(history.status).toBe(403);
    expect(history.body.error.code).toBe('FORBIDDEN');

    const socket = await connectSocket(eve.body.token);
    const join = await socket.timeout(10_000).emitWithAck('joinRoom', { roomId });
    expect(join).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const sendAck = await socket
      .timeout(10_000)
      .emitWithAck('sendMessage', { roomId, clientMsgId: 'eve-1', text: 'let me in' });
    expect(sendAck.ok).toBe(false);
    await expectConversation([ada, bob], dm);
  });

  it('log out returns to the login screen and forgets the token', async () => {
    await openSidebar(bob);
    await bob.getByRole('button', { name: 'Log out' }).click();
    await bob.getByRole('button', { name: 'Log in' }).first().waitFor();
    expect(await bob.evaluate(() => localStorage.getItem('chat.session'))).toBeNull();
  });
});

async function connectSocket(token: string) {
  const socket = await connectScriptSocket(stack.url, token);
  sockets.push(socket);
  return socket;
}

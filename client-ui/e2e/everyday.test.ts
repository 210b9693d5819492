import { mkdir } from 'node:fs/promises';
import { useIsolation } from '@chat/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi, startStack, type Stack } from './stack.js';
import {
  DESKTOP,
  joinRoom,
  openPage,
  openSidebar,
  PASSWORD,
  PHONE,
  SCREENSHOTS,
  send,
  shot,
  signUp,
  status,
  texts,
} from './ui-actions.js';

/**
 * What a daily user trips over (issue 16 items 2, 3, 4, 11), through the real stack: a send
 * limit of 5 a minute, and a login lock after 3 failures for 56 minutes, to meet both.
 */
const SEND_LIMIT = 5;
const iso = useIsolation('client-ui-e2e-everyday');
let ui: Awaited<ReturnType<typeof buildUi>>;
let stack: Stack;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  ui = await buildUi();
  stack = await startStack(iso(), ui.dir, {
    chatEnv: { SEND_RATE_LIMIT_PER_MIN: String(SEND_LIMIT) },
    // Three wrong passwords lock this username on this address for the rest of a 56-minute window.
    userLimits: {
      login: {
        maxPerIp: 1000,
        maxPerUserIp: 3,
        maxPerUser: 1000,
        windowSec: 56 * 60,
        lockBaseSec: 30,
        lockMaxSec: 900,
      },
    },
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  for (const p of pages)
    await p
      .context()
      .close()
      .catch(() => undefined);
  await browser?.close();
  await stack?.close();
  await ui?.remove();
});

async function newPage() {
  const page = await openPage(browser, stack.url, DESKTOP);
  pages.push(page);
  return page;
}

/** The state on screen, desktop and phone, light and dark. */
async function shotAll(page: Page, name: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize(DESKTOP);
    await shot(page, `${name}-desktop-${scheme}`);
    await page.setViewportSize(PHONE);
    await shot(page, `${name}-phone-${scheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize(DESKTOP);
}

const composer = (page: Page) => page.getByRole('textbox', { name: /^Message / });
const rowStatuses = (page: Page) =>
  page.getByTestId('message').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
const session = (page: Page) =>
  page.evaluate(() => JSON.parse(localStorage.getItem('chat.session') ?? 'null') as { token: string } | null);

/** Every stored message of a room, oldest first (one page of up to 100 is enough here). */
async function stored(page: Page, roomId: string) {
  const token = (await session(page))!.token;
  const res = await fetch(`${stack.url}/messages/history/${roomId}?limit=100`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { messages: { text: string; clientMsgId: string }[] };
  return body.messages;
}

describe('everyday use, against the real services', () => {
  it('a second tab shares the session; logging out in one signs out every tab and forgets what was typed', async () => {
    const first = await newPage();
    await signUp(first, 'tara', 'Tara Tabs');
    await joinRoom(first, 'tabs');
    const second = await first.context().newPage();
    await second.goto(stack.url);
    await second.getByRole('heading', { name: 'tabs' }).waitFor();
    await composer(second).fill('typed in the second tab');

    await openSidebar(first);
    await first.getByRole('button', { name: 'Log out' }).click();
    await second.getByRole('button', { name: 'Log in' }).first().waitFor();
    const left = await second.evaluate(() =>
      Object.keys(localStorage).filter((k) => /^chat\.(session|drafts|outbox)/.test(k)),
    );
    expect(left).toEqual([]);
  });

  it('a draft survives switching rooms and a reload', async () => {
    const page = await newPage();
    await signUp(page, 'dora', 'Dora Drafts');
    await joinRoom(page, 'alpha');
    await joinRoom(page, 'beta');
    await page.locator('[data-room-id="alpha"]').click();
    await page.getByRole('heading', { name: 'alpha' }).waitFor();
    await composer(page).fill('half a thought about alpha');
    await page.locator('[data-room-id="beta"]').click();
    await page.getByRole('heading', { name: 'beta' }).waitFor();
    expect(await composer(page).inputValue()).toBe('');
    await page.locator('[data-room-id="alpha"]').click();
    expect(await composer(page).inputValue()).toBe('half a thought about alpha');
    await page.reload();
    await page.getByRole('heading', { name: 'alpha' }).waitFor();
    expect(await composer(page).inputValue()).toBe('half a thought about alpha');
    await composer(page).fill('');
  });

  it('messages pending when the tab is reloaded are kept, then sent once each when the server is back', async () => {
    const page = pages.at(-1)!;
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('connected');
    await stack.stopChat();
    const kept = ['Written while the server was away', 'And a second one'];
    try {
      await expect.poll(() => status(page), { timeout: 15_000 }).not.toBe('connected');
      for (const text of kept) await send(page, text);
      await page.reload();
      await page.getByRole('heading', { name: 'alpha' }).waitFor();
      await expect.poll(() => texts(page)).toEqual(kept);
      expect(await rowStatuses(page)).toEqual(['pending', 'pending']);
      await composer(page).fill('a draft, kept too');
      await shotAll(page, '20-restored-outbox');
    } finally {
      await stack.startChat(); // the next tests need it, whatever happened here
    }
    await expect.poll(() => rowStatuses(page), { timeout: 30_000 }).toEqual(['sent', 'sent']);
    expect(await texts(page)).toEqual(kept);
    // Stored once each (persistence follows the ack within moments).
    await expect.poll(async () => (await stored(page, 'alpha')).map((m) => m.text), { timeout: 15_000 }).toEqual(kept);
    expect(new Set((await stored(page, 'alpha')).map((m) => m.clientMsgId)).size).toBe(2);
  });

  it('offline: badge and banner say so within 2 s; what is written meanwhile goes out when back', async () => {
    const page = pages.at(-1)!;
    await expect.poll(() => status(page), { timeout: 20_000 }).toBe('connected');
    // The browser says the network is gone while the socket has not noticed (a real network
    // drop leaves the TCP connection open for a while): the badge believes the browser.
    await page.evaluate(() => {
      Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
      window.dispatchEvent(new Event('offline'));
    });
    await expect.poll(() => status(page), { timeout: 2_000, interval: 50 }).toBe('offline');
    await page.evaluate(() => {
      delete (navigator as { onLine?: boolean }).onLine; // the browser's own answer again
      window.dispatchEvent(new Event('online'));
    });
    await expect.poll(() => status(page), { timeout: 10_000 }).toBe('connected');

    await page.context().setOffline(true);
    await expect.poll(() => status(page), { timeout: 2_000, interval: 50 }).toBe('offline');
    await page.getByText('You are offline.').waitFor();
    await composer(page).fill(''); // the draft kept from before
    await send(page, 'Typed on the train');
    await expect.poll(async () => (await rowStatuses(page)).at(-1)).toBe('pending');
    await shotAll(page, '21-offline');

    await page.context().setOffline(false);
    await expect.poll(() => status(page), { timeout: 20_000 }).toBe('connected');
    await expect.poll(async () => (await rowStatuses(page)).at(-1), { timeout: 20_000 }).toBe('sent');
    await expect
      .poll(async () => (await stored(page, 'alpha')).filter((m) => m.text === 'Typed on the train').length, {
        timeout: 15_000,
      })
      .toBe(1);
  });

  it('the send limit: a human wait counting down, and the held messages go out by themselves, in order, once each', async () => {
    const page = await newPage();
    await signUp(page, 'rita', 'Rita Rapid');
    await joinRoom(page, 'burst');
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('connected');
    const burst = Array.from({ length: SEND_LIMIT + 3 }, (_, i) => `Quick message ${i + 1}`);
    for (const text of burst) await send(page, text);

    const banner = page.getByTestId('send-limit');
    await banner.waitFor();
    const wait = () => banner.textContent().then((t) => Number(/send again in (\d+) s/.exec(t ?? '')?.[1]));
    const firstWait = await wait();
    expect(firstWait).toBeGreaterThan(0);
    await expect.poll(wait, { timeout: 5_000 }).toBeLessThan(firstWait);
    expect(await rowStatuses(page)).not.toContain('failed');
    expect(await page.getByText('too many messages').count()).toBe(0);
    await shotAll(page, '22-send-limit');

    // Sent by the client itself once the limit allows (the window is a minute).
    await expect.poll(() => rowStatuses(page), { timeout: 90_000, interval: 500 }).toEqual(burst.map(() => 'sent'));
    await banner.waitFor({ state: 'hidden' });
    expect(await texts(page)).toEqual(burst);
    await expect.poll(async () => (await stored(page, 'burst')).map((m) => m.text), { timeout: 15_000 }).toEqual(burst);
    expect(new Set((await stored(page, 'burst')).map((m) => m.clientMsgId)).size).toBe(burst.length);
  });

  it('the token is refreshed silently before it expires, and the live socket keeps working', async (ctx) => {
    // Needs user-service's POST /auth/refresh (DESIGN.md §2): until it is deployed the route is unknown.
    const probe = await fetch(`${stack.url}/auth/refresh`, { method: 'POST' });
    if (probe.status === 404) ctx.skip();
    const context = await browser.newContext({ viewport: DESKTOP, reducedMotion: 'reduce' });
    const page = await context.newPage();
    pages.push(page);
    page.setDefaultTimeout(15_000);
    // The page's clock, so 52 minutes of a one-hour token pass in a moment.
    await page.clock.install();
    await page.goto(stack.url);
    await signUp(page, 'rolf', 'Rolf Refresh');
    await joinRoom(page, 'fresh');
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('connected');
    const before = (await session(page))!.token;

    // The refresh is due at 80% of the hour plus up to 5% jitter (48–51 min): past that, short of expiry.
    await page.clock.fastForward('52:00');
    await expect.poll(async () => (await session(page))?.token, { timeout: 30_000 }).not.toBe(before);
    await expect.poll(() => status(page), { timeout: 30_000 }).toBe('connected');
    await send(page, 'Still here after a refresh');
    await expect.poll(async () => (await rowStatuses(page)).at(-1), { timeout: 20_000 }).toBe('sent');
  });

  it('a locked login says how long to wait', async () => {
    const page = await newPage();
    await page.getByLabel('Username').fill('rita');
    await page.getByLabel('Password').fill(`${PASSWORD} but wrong`);
    const submit = page.getByRole('form', { name: 'Log in' }).getByRole('button', { name: 'Log in' });
    for (let i = 0; i < 4; i++) await submit.click();
    await page.getByText('Too many attempts. Try again in 56 minutes.').waitFor();
    await shot(page, '23-login-locked-desktop');
  });
});

import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dmRoomId, type AuthResponse } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi, startStack, type Stack } from './stack.js';
import { connectScriptSocket } from './ui-actions.js';

const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** Short, so that the missed call does not hold the suite for 30 s; long enough to answer. */
const RING_TIMEOUT_MS = 8000;
const INTERNAL_TOKEN = 'e2e-internal-api-token-0123456789abcdef';

const iso = useIsolation('client-ui-calls');
let ui: Awaited<ReturnType<typeof buildUi>>;
let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];
let ada: AuthResponse;
let bob: AuthResponse;
let adaPage: Page;
let bobPhone: Page;
let bobDesktop: Page;

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  ui = await buildUi();
  stack = await startStack(iso(), ui.dir, {
    chatEnv: { CALL_RING_TIMEOUT_MS: String(RING_TIMEOUT_MS), INTERNAL_API_TOKEN: INTERNAL_TOKEN },
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      // A synthetic camera and microphone, allowed without a prompt.
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  ada = await register('ada', 'Ada Lovelace');
  bob = await register('bob', 'Bob Stone');
  adaPage = await openDirect(ada, bob, DESKTOP);
  bobPhone = await openDirect(bob, ada, PHONE, { isMobile: true, hasTouch: true });
  bobDesktop = await openDirect(bob, ada, DESKTOP);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.close();
  await ui?.remove();
});

async function register(username: string, displayName: string): Promise<AuthResponse> {
  const res = await fetch(`${stack.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery', displayName }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as AuthResponse;
}

/**
 * A signed-in tab with the direct conversation with `peer` open: `me` is made a member by a
 * joinRoom (the room list is the server's), and the tab opens it (stored as the app stores it).
 */
async function openDirect(
  me: AuthResponse,
  peer: AuthResponse,
  viewport: { width: number; height: number },
  extra: { isMobile?: boolean; hasTouch?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce', ...extra });
  contexts.push(context);
  const roomId = dmRoomId(me.user.id, peer.user.id);
  const script = await connectScriptSocket(stack.url, me.token);
  const joined = await script.timeout(10_000).emitWithAck('joinRoom', { roomId });
  script.disconnect();
  expect(joined.ok).toBe(true);
  await context.addInitScript(
    ([session, roomsKey, rooms]) => {
      localStorage.setItem('chat.session', session);
      localStorage.setItem(roomsKey, rooms);
    },
    [
      JSON.stringify(me),
      `chat.rooms.${me.user.id}`,
      JSON.stringify({ rooms: [{ id: roomId, peer: peer.user }], activeRoomId: roomId }),
    ] as const,
  );
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(stack.url);
  await page.getByRole('heading', { name: peer.user.displayName }).waitFor();
  await connectedToChat(page);
  return page;
}

/** The chat socket is up (polled by hand: expect.poll is only for tests, this also runs in beforeAll). */
async function connectedToChat(page: Page, timeoutMs = 20_000) {
  await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: timeoutMs });
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
const phase = (page: Page) =>
  page
    .getByTestId('call-view')
    .getAttribute('data-phase', { timeout: 1000 })
    .catch(() => null);
const status = (page: Page) =>
  page
    .getByTestId('call-status')
    .textContent({ timeout: 1000 })
    .catch(() => null);
const incoming = (page: Page) => page.getByTestId('call-incoming');
/** Decoded width of the remote video: > 0 once frames arrive. */
const remoteWidth = (page: Page) =>
  page
    .getByTestId('remote-video')
    .evaluate((v: HTMLVideoElement) => v.videoWidth, undefined, { timeout: 1000 })
    .catch(() => 0);
const remoteTime = (page: Page) =>
  page.getByTestId('remote-video').evaluate((v: HTMLVideoElement) => v.currentTime, undefined, { timeout: 1000 });

async function closeSummary(page: Page) {
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await page.getByTestId('call-view').waitFor({ state: 'detached' });
}

describe('calls in the browser, through the gateway, against the real services', () => {
  it('Ada video-calls Bob; both of his devices ring, he answers on the phone, the other stops; media flows both ways', async () => {
    await adaPage.getByRole('button', { name: 'Video call Bob Stone' }).click();
    await expect.poll(() => phase(adaPage)).toBe('calling');
    await incoming(bobPhone).waitFor();
    await incoming(bobDesktop).waitFor();
    await expect.poll(() => incoming(bobPhone).textContent()).toContain('Incoming video call');
    await shot(adaPage, 'call-01-calling-desktop');
    await shot(bobPhone, 'call-02-incoming-phone');
    await shot(bobDesktop, 'call-03-incoming-desktop');

    await bobPhone.getByRole('button', { name: 'Accept' }).click();
    // Answered elsewhere: the desktop stops ringing.
    await incoming(bobDesktop).waitFor({ state: 'detached' });
    expect(await bobDesktop.getByTestId('call-view').count()).toBe(0);

    await expect.poll(() => phase(adaPage), { timeout: 30_000 }).toBe('connected');
    await expect.poll(() => phase(bobPhone), { timeout: 30_000 }).toBe('connected');
    await expect.poll(() => remoteWidth(bobPhone), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => remoteWidth(adaPage), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => adaPage.getByTestId('call-duration').textContent()).toMatch(/^Connected, 00:0\d$/);

    await bobPhone.getByRole('button', { name: 'Mute microphone' }).click();
    await bobPhone.getByRole('button', { name: 'Unmute microphone' }).waitFor();
    await adaPage.getByRole('button', { name: 'Turn camera off' }).click();
    await adaPage.getByRole('button', { name: 'Turn camera on' }).click();
    await shot(adaPage, 'call-04-connected-desktop');
    await shot(bobPhone, 'call-05-connected-phone');
    await adaPage.emulateMedia({ colorScheme: 'dark' });
    await bobPhone.emulateMedia({ colorScheme: 'dark' });
    await shot(adaPage, 'call-06-connected-desktop-dark');
    await shot(bobPhone, 'call-07-connected-phone-dark');
    await adaPage.emulateMedia({ colorScheme: 'light' });
    await bobPhone.emulateMedia({ colorScheme: 'light' });
  });

  it('the call survives a chat-service restart (media is peer to peer); hang-up after it ends both sides', async () => {
    await stack.restartChat({ downMs: 500 });
    // Every page, the idle desktop too: the next tests ring it.
    for (const page of [adaPage, bobPhone, bobDesktop]) await connectedToChat(page, 30_000);
    expect(await phase(adaPage)).toBe('connected');
    expect(await phase(bobPhone)).toBe('connected');
    const before = await remoteTime(bobPhone);
    await expect.poll(() => remoteTime(bobPhone), { timeout: 10_000 }).toBeGreaterThan(before + 0.5);

    // Signalling resumed on the new socket: the hang-up reaches Bob.
    await adaPage.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => phase(adaPage)).toBe('ended');
    await expect.poll(() => phase(bobPhone)).toBe('ended');
    expect(await status(bobPhone)).toBe('Ada Lovelace hung up');
    expect(await status(adaPage)).toBe('Call ended');
    await shot(bobPhone, 'call-08-ended-phone');
    await closeSummary(adaPage);
    await closeSummary(bobPhone);
  });

  it('a declined call ends for the caller with who declined it', async () => {
    await adaPage.getByRole('button', { name: 'Audio call Bob Stone' }).click();
    await incoming(bobPhone).waitFor();
    await incoming(bobDesktop).waitFor();
    await expect.poll(() => incoming(bobDesktop).textContent()).toContain('Incoming audio call');
    await bobDesktop.getByRole('button', { name: 'Decline' }).click();
    await expect.poll(() => phase(adaPage)).toBe('ended');
    expect(await status(adaPage)).toBe('Bob Stone declined the call');
    await incoming(bobPhone).waitFor({ state: 'detached' });
    await incoming(bobDesktop).waitFor({ state: 'detached' });
    await shot(adaPage, 'call-09-declined-desktop');
    await closeSummary(adaPage);
  });

  it('a call nobody answers ends as missed on both sides after the ring timeout', async () => {
    await adaPage.getByRole('button', { name: 'Video call Bob Stone' }).click();
    await incoming(bobPhone).waitFor();
    await expect.poll(() => phase(adaPage), { timeout: RING_TIMEOUT_MS + 15_000 }).toBe('missed');
    expect(await status(adaPage)).toBe('No answer from Bob Stone');
    await expect.poll(() => phase(bobPhone)).toBe('missed');
    expect(await status(bobPhone)).toBe('Missed call from Ada Lovelace');
    await expect.poll(() => phase(bobDesktop)).toBe('missed');
    await shot(adaPage, 'call-10-missed-desktop');
    await bobPhone.emulateMedia({ colorScheme: 'dark' });
    await shot(bobPhone, 'call-11-missed-phone-dark');
    await bobPhone.emulateMedia({ colorScheme: 'light' });
    for (const page of [adaPage, bobPhone, bobDesktop]) await closeSummary(page);
  });

  it('no camera permission: the call fails with a clear reason and Bob is never rung', async () => {
    await adaPage.evaluate(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
    });
    await adaPage.getByRole('button', { name: 'Video call Bob Stone' }).click();
    await expect.poll(() => phase(adaPage)).toBe('failed');
    expect(await status(adaPage)).toMatch(/Permission to use the camera and microphone was denied/);
    expect(await incoming(bobPhone).count()).toBe(0);
    await shot(adaPage, 'call-12-permission-denied-desktop');
    await closeSummary(adaPage);
    await adaPage.reload();
    await connectedToChat(adaPage);
  });

  it('a system message from the internal API shows distinctly in the conversation; the gateway does not expose the API', async () => {
    const roomId = dmRoomId(ada.user.id, bob.user.id);
    const body = {
      roomId,
      text: 'Your order #1042 has shipped.',
      senderName: 'Shop',
      idempotencyKey: 'order-1042-shipped',
    };
    const publish = (url: string) =>
      fetch(`${url}/internal/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${INTERNAL_TOKEN}` },
        body: JSON.stringify(body),
      });
    expect((await publish(stack.url)).status).toBe(404);
    expect((await publish(stack.chatUrl)).status).toBe(200);
    for (const page of [adaPage, bobPhone]) {
      await page.locator('[data-system="true"]').getByText(body.text).waitFor();
    }
    await shot(adaPage, 'call-13-system-message-desktop');
    await bobPhone.emulateMedia({ colorScheme: 'dark' });
    await shot(bobPhone, 'call-14-system-message-phone-dark');
    await bobPhone.emulateMedia({ colorScheme: 'light' });
  });

  it('calling someone who is not online fails at once with that reason', async () => {
    await bobPhone.context().close();
    await bobDesktop.context().close();
    await adaPage.getByRole('button', { name: 'Audio call Bob Stone' }).click();
    await expect.poll(() => phase(adaPage)).toBe('failed');
    expect(await status(adaPage)).toBe('Bob Stone is not online right now.');
    await shot(adaPage, 'call-15-offline-desktop');
  });
});

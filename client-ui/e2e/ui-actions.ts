import { fileURLToPath } from 'node:url';
import { SOCKET_PATH, type ClientToServerEvents, type ServerToClientEvents } from '@chat/contracts';
import type { Browser, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { expect } from 'vitest';

/** What a user does in the browser, shared by the end-to-end tests. */

export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
export const PASSWORD = 'correct horse battery';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A fresh browser context (its own storage: one user) with one page at `url`. */
export async function openPage(
  browser: Browser,
  url: string,
  viewport: { width: number; height: number },
  extra: { isMobile?: boolean; hasTouch?: boolean } = {},
) {
  // Reduced motion: screenshots show the settled layout, not a drawer half-way in.
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce', ...extra });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(url);
  return page;
}

export const shot = (page: Page, name: string) => page.screenshot({ path: `${SCREENSHOTS}${name}.png` });

export async function signUp(page: Page, username: string, displayName: string) {
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText(`Welcome, ${displayName}`).waitFor();
}

/** On a phone the conversations live in a drawer behind the menu button. */
export async function openSidebar(page: Page) {
  const menu = page.getByRole('button', { name: 'Open conversations' });
  const drawerOpen = await page.getByRole('button', { name: 'Close conversations' }).isVisible();
  if (!drawerOpen && (await menu.isVisible())) {
    await menu.click();
    await page.getByRole('button', { name: 'Close conversations' }).waitFor();
  }
}

export async function joinRoom(page: Page, name: string) {
  await openSidebar(page);
  await page.getByLabel('Join a room').fill(name);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.getByRole('heading', { name }).waitFor();
}

export async function startDirect(page: Page, username: string, displayName: string) {
  await openSidebar(page);
  await page.getByLabel('Direct message').fill(username);
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByRole('heading', { name: displayName }).waitFor();
}

/** Type into the composer; `\n` is typed as Shift+Enter; Enter sends. */
export async function send(page: Page, text: string) {
  const field = page.getByRole('textbox', { name: /^Message / });
  await field.click();
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (i > 0) await page.keyboard.press('Shift+Enter');
    await page.keyboard.insertText(line);
  }
  await page.keyboard.press('Enter');
}

/**
 * Each line sent in turn and recorded in `log`; with `watch`, every watcher must show the
 * whole log after each line.
 */
export async function talk(lines: (readonly [Page, string])[], log: string[], watch: Page[] = []) {
  for (const [page, text] of lines) {
    await send(page, text);
    log.push(text);
    if (watch.length > 0) await expectConversation(watch, log);
  }
}

export const texts = (page: Page) => page.getByTestId('message-text').allTextContents();
export const status = (page: Page) => page.getByTestId('connection-status').getAttribute('data-status');
export const allSent = async (page: Page) =>
  (await page.getByTestId('message').evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).every(
    (s) => s === 'sent',
  );

/** Both pages show exactly these messages, in this order, all confirmed. */
export async function expectConversation(pages: Page[], expected: string[]) {
  for (const page of pages) {
    await expect.poll(() => texts(page), { timeout: 15_000, interval: 100 }).toEqual(expected);
    await expect.poll(() => allSent(page), { timeout: 15_000, interval: 100 }).toBe(true);
  }
}

/** A plain Socket.IO client through the gateway at `url` (a script, not a browser: no Origin header). */
export async function connectScriptSocket(
  url: string,
  token: string,
): Promise<Socket<ServerToClientEvents, ClientToServerEvents>> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
    path: SOCKET_PATH,
    transports: ['websocket'],
    auth: { token },
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
  return socket;
}

import { mkdir, readFile } from 'node:fs/promises';
import { useIsolation } from '@chat/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBothSchemes, launchChromium, SCREENSHOTS } from './browser.js';
import { buildUi, startStack, type Stack } from './stack.js';
import { connectScriptSocket, DESKTOP, joinRoom, PHONE, send, signUp } from './ui-actions.js';

/**
 * Files, search, mentions and notifications (issue 14 items 6–7) through the real stack: Ada on
 * a desktop (notifications granted), Bob on a phone (never asked). The upload and download
 * flows need `POST /files` and `GET /files/:id` (message-service, through the gateway) and
 * chat-service accepting `attachmentIds`; search needs `GET /messages/search`.
 */
const iso = useIsolation('client-ui-e2e-files-search');
let ui: Awaited<ReturnType<typeof buildUi>>;
let stack: Stack;
let browser: Browser;
let ada: Page;
let bob: Page;

/** Records every Notification the page makes and lets the test say the tab is hidden. */
const NOTIFICATION_SPY = () => {
  const w = window as unknown as {
    __notifications: { title: string; body: string; click: () => void }[];
    __permissionRequests: number;
    __hidden: boolean;
  };
  w.__notifications = [];
  w.__permissionRequests = 0;
  w.__hidden = false;
  const Real = window.Notification;
  class Spy extends Real {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      w.__notifications.push({ title, body: options?.body ?? '', click: () => this.onclick?.(new Event('click')) });
    }
  }
  Object.defineProperty(Spy, 'permission', { get: () => Real.permission });
  Spy.requestPermission = (...args: Parameters<typeof Real.requestPermission>) => {
    w.__permissionRequests++;
    return Real.requestPermission(...args);
  };
  window.Notification = Spy as typeof Notification;
  Object.defineProperty(Document.prototype, 'visibilityState', {
    get: () => (w.__hidden ? 'hidden' : 'visible'),
  });
};

async function newPage(options: { phone?: boolean; notifications?: boolean }): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    viewport: options.phone ? PHONE : DESKTOP,
    deviceScaleFactor: 1,
    reducedMotion: 'reduce',
    acceptDownloads: true,
    ...(options.phone ? { isMobile: true, hasTouch: true } : {}),
  });
  if (options.notifications) await context.grantPermissions(['notifications'], { origin: stack.url });
  await context.addInitScript(NOTIFICATION_SPY);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(stack.url);
  return page;
}

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  ui = await buildUi();
  stack = await startStack(iso(), ui.dir);
  browser = await launchChromium();
  ada = await newPage({ notifications: true });
  bob = await newPage({ phone: true });
  await signUp(ada, 'ada', 'Ada Lovelace');
  await signUp(bob, 'bob', 'Bob Stone');
  await joinRoom(ada, 'files');
  await joinRoom(bob, 'files');
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await ui?.remove();
});

/**
 * Until the server parts are merged (message-service's `/files` and search, the gateway's
 * `/files` route, chat-service taking `attachmentIds`), the flows that need them are skipped,
 * as everyday.test.ts does for the token refresh: an unknown route answers 404.
 */
const routeMissing = async (path: string, method = 'GET') =>
  (await fetch(`${stack.url}${path}`, { method })).status === 404;

/** chat-service of this stack refuses every attachment (its files part not merged yet). */
const attachmentsRefused = async (page: Page) => (await page.getByText('no such attachment').count()) > 0;

const composer = (page: Page) => page.getByRole('textbox', { name: /^Message / });
const tokenOf = (page: Page) => page.evaluate(() => JSON.parse(localStorage.getItem('chat.session')!).token as string);

describe('files, search, mentions and notifications in the browser', () => {
  it('never asks for notification permission on load; asks only from the Enable button', async () => {
    expect(await bob.evaluate(() => (window as unknown as { __permissionRequests: number }).__permissionRequests)).toBe(
      0,
    );
    await bob.getByTestId('notification-settings').click();
    const enable = bob.getByRole('button', { name: 'Enable notifications' });
    await enable.waitFor();
    await checkBothSchemes(bob, 'files-notification-settings-phone');
    await enable.click();
    await expect
      .poll(() => bob.evaluate(() => (window as unknown as { __permissionRequests: number }).__permissionRequests))
      .toBe(1);
    await bob.keyboard.press('Escape');
  });

  it('a mention notifies while the tab is hidden, unless the room is muted; a click opens its room', async () => {
    // Ada looks at another room and puts the tab in the background.
    await joinRoom(ada, 'elsewhere');
    await ada.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = true));
    await send(bob, 'hey @ada, the build is green');
    const notifications = () =>
      ada.evaluate(() =>
        (window as unknown as { __notifications: { title: string; body: string }[] }).__notifications.map((n) => ({
          title: n.title,
          body: n.body,
        })),
      );
    await expect.poll(notifications).toEqual([{ title: 'Bob Stone in #files', body: 'hey @ada, the build is green' }]);
    // A message without a mention in a public room stays quiet.
    await send(bob, 'no mention here');
    await ada.waitForTimeout(500);
    expect(await notifications()).toHaveLength(1);

    await ada.evaluate(() => {
      const w = window as unknown as { __hidden: boolean; __notifications: { click: () => void }[] };
      w.__hidden = false;
      w.__notifications[0]!.click();
    });
    await ada.getByRole('heading', { name: 'files', exact: true }).waitFor();
    // The mention is marked in the text, as the reader's own.
    await expect.poll(() => ada.locator('.mention--me').first().textContent()).toBe('@ada');
    await checkBothSchemes(ada, 'files-mention-desktop');

    // Muted (kept per user in localStorage): the next mention does not notify.
    await ada.getByTestId('notification-settings').click();
    await ada.getByText('Notifications are on for this browser.').waitFor();
    await ada.getByTestId('mute-room').check();
    await ada.getByRole('button', { name: 'Done' }).click();
    expect(
      await ada.evaluate(() =>
        localStorage.getItem(Object.keys(localStorage).find((k) => k.startsWith('chat.muted.'))!),
      ),
    ).toBe('["files"]');
    await ada.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = true));
    await send(bob, '@ada once more');
    await ada.waitForTimeout(800);
    expect(await notifications()).toHaveLength(1);
    await ada.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = false));
  });

  it('a pasted image shows its upload progress, then an inline preview on the other screen', async (ctx) => {
    if (await routeMissing('/files', 'POST')) ctx.skip();
    // Upload at ~200 KB/s so the progress bar is there to see.
    const cdp = await ada.context().newCDPSession(ada);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: 200 * 1024,
    });
    await composer(ada).click();
    await ada.evaluate(async () => {
      // A noisy 480×360 PNG (~0.6 MB): it compresses badly, so it takes a few seconds.
      const canvas = document.createElement('canvas');
      canvas.width = 480;
      canvas.height = 360;
      const g = canvas.getContext('2d')!;
      const data = g.createImageData(480, 360);
      for (let i = 0; i < data.data.length; i++) data.data[i] = i % 4 === 3 ? 255 : (Math.random() * 255) | 0;
      g.putImageData(data, 0, 0);
      g.fillStyle = '#5458e8';
      g.fillRect(140, 100, 200, 160);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
      const transfer = new DataTransfer();
      transfer.items.add(new File([blob], 'screenshot.png', { type: 'image/png' }));
      const field = document.activeElement!;
      field.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    });
    const progress = ada.getByTestId('upload-progress');
    await progress.waitFor();
    await expect.poll(async () => Number(await progress.getAttribute('aria-valuenow'))).toBeGreaterThan(0);
    await checkBothSchemes(ada, 'files-upload-progress-desktop');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await ada.locator('[data-testid="upload"][data-status="done"]').waitFor({ timeout: 30_000 });
    // Files alone make a message: Enter sends with an empty text.
    await composer(ada).press('Enter');
    await ada.getByTestId('upload').waitFor({ state: 'detached' });
    // The sender sees it at once too, fetched back with the token (GET /files/:id).
    await ada.locator('[data-testid="attachment-image"][data-state="ready"] img').last().waitFor();
    await ada.locator('[data-testid="message"][data-status="pending"]').waitFor({ state: 'detached' });
    if (await attachmentsRefused(ada)) ctx.skip();

    const preview = bob.locator('[data-testid="attachment-image"][data-state="ready"] img').last();
    await preview.scrollIntoViewIfNeeded();
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(480);
    expect(await preview.getAttribute('src')).toMatch(/^blob:/);
    expect(await preview.getAttribute('loading')).toBe('lazy');
    await checkBothSchemes(bob, 'files-image-phone');
    // Full size in a dialog; Escape closes it.
    await bob.locator('[data-testid="attachment-image"]').last().click();
    await bob.getByTestId('lightbox').locator('img').waitFor();
    await checkBothSchemes(bob, 'files-lightbox-phone');
    await bob.keyboard.press('Escape');
    await bob.getByTestId('lightbox').waitFor({ state: 'detached' });
  });

  it('a PDF comes as a card and downloads under its own name with its bytes', async (ctx) => {
    if ((await routeMissing('/files', 'POST')) || (await attachmentsRefused(ada))) ctx.skip();
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    await ada
      .getByTestId('attach-input')
      .setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: pdf });
    await ada.locator('[data-testid="upload"][data-status="done"]').waitFor();
    await send(ada, 'the quarterly report');
    const card = bob.getByTestId('attachment-file').filter({ hasText: 'report.pdf' });
    await card.waitFor();
    await checkBothSchemes(bob, 'files-pdf-card-phone');
    const [download] = await Promise.all([
      bob.waitForEvent('download'),
      card.getByRole('button', { name: 'Download report.pdf' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('report.pdf');
    expect(await readFile((await download.path())!)).toEqual(pdf);
  });

  it('search finds a message far back, grouped by room with the match marked, and jumps to it', async (ctx) => {
    if (await routeMissing('/messages/search?q=ab')) ctx.skip();
    // The needle, then more than a page of messages after it (sent by a script, for speed).
    await send(ada, 'The launch code word is Marmalade, remember it');
    const socket = await connectScriptSocket(stack.url, await tokenOf(ada));
    try {
      await socket.timeout(10_000).emitWithAck('joinRoom', { roomId: 'files' });
      for (let i = 0; i < 120; i++) {
        const ack = await socket
          .timeout(10_000)
          .emitWithAck('sendMessage', { roomId: 'files', clientMsgId: `filler-${i}`, text: `filler ${i}` });
        expect(ack.ok).toBe(true);
      }
    } finally {
      socket.disconnect();
    }
    await bob.reload();
    await bob.getByRole('heading', { name: 'files', exact: true }).waitFor();
    const shown = (text: string | RegExp) => bob.getByTestId('message-text').filter({ hasText: text }).count();
    await expect.poll(() => shown('filler 119')).toBe(1);
    // Not on the first page: the jump has to page back for it.
    expect(await shown(/Marmalade/)).toBe(0);

    await bob.keyboard.press('Control+Shift+F');
    const field = bob.getByTestId('search-input');
    await field.waitFor();
    await field.fill('marmalade');
    const result = bob.getByTestId('search-result').first();
    await expect.poll(() => result.locator('mark').textContent(), { timeout: 15_000 }).toBe('Marmalade');
    await bob.getByRole('group', { name: '#files' }).waitFor();
    await checkBothSchemes(bob, 'files-search-phone');
    await field.press('Enter');
    const row = bob.locator('.msg--highlighted');
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toContain('Marmalade');
    expect(await row.isVisible()).toBe(true);
    await checkBothSchemes(bob, 'files-search-jump-phone');
  });
});

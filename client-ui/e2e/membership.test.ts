import { mkdir } from 'node:fs/promises';
import { useIsolation } from '@chat/testing';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkBothSchemes as checkScheme,
  composer,
  joinRoomByKeyboard,
  launchChromium,
  openPage,
  openSidebar,
  PASSWORD,
  SCREENSHOTS,
  sendMessage,
  signUp,
} from './browser.js';
import { buildUi, startStack, type Stack } from './stack.js';

/**
 * Server-side membership in Chromium through the real stack (issue 13 item 8, DESIGN.md §3.3,
 * §3.4): Ada on a desktop; Bob on a phone, on a desktop (bob2) and on a third device (bob3).
 * A first direct message reaches Bob's list live with its badge, every device of his shows
 * the same rooms, reading on one clears the badge on the others, and the room shows who is
 * online, who is typing, what is new and what Ada's last message has been seen.
 */

const iso = useIsolation('client-ui-membership-e2e');
let ui: Awaited<ReturnType<typeof buildUi>> | undefined;
let stack: Stack | undefined;
let browser: Browser | undefined;
let ada: Page;
let bob: Page;
let bob2: Page;
let bob3: Page;

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  ui = await buildUi();
  stack = await startStack(iso(), ui.dir);
  browser = await launchChromium();
  ada = await openPage(browser, stack.url, 'desktop');
  bob = await openPage(browser, stack.url, 'phone');
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await ui?.remove();
});

/** Log in on a fresh device, and wait until its room list shows `room`. */
async function logIn(page: Page, username: string, room: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await roomItem(page, room).waitFor();
}

/** The sidebar entry of a room, by what it shows ("lobby", "Ada Lovelace"). */
const roomItem = (page: Page, title: string): Locator =>
  page.getByTestId('room-item').filter({ has: page.locator('.room-item__title', { hasText: title }) });
const messageText = (page: Page, text: string) => page.getByTestId('message-text').filter({ hasText: text });
const unreadBadge = (item: Locator) => item.getByTestId('unread-badge');
const roomTitles = (page: Page) =>
  page.locator('.room-item__title').evaluateAll((els) => els.map((e) => e.firstChild?.textContent ?? ''));

/** Screenshots and axe in light and dark, named membership-<name>-<scheme>.png. */
const checkBothSchemes = (page: Page, name: string) => checkScheme(page, `membership-${name}`);

describe('rooms, unread and presence across devices', () => {
  it('Bob joins #lobby on his phone; his second device lists it after logging in', async () => {
    await signUp(ada, 'ada', 'Ada Lovelace');
    await signUp(bob, 'bob', 'Bob Stone');
    await joinRoomByKeyboard(bob, 'lobby');
    bob2 = await openPage(browser!, stack!.url, 'desktop');
    await logIn(bob2, 'bob', 'lobby');
    expect(await roomTitles(bob2)).toEqual(['lobby']);
  });

  it("Ada's first direct message appears live in Bob's list on both devices, bold with a badge; the title counts it", async () => {
    await openSidebar(ada);
    await ada.getByLabel('Direct message').fill('bob');
    await ada.getByLabel('Direct message').press('Enter');
    await ada.getByRole('heading', { name: 'Bob Stone' }).waitFor();
    await sendMessage(ada, 'Hi Bob');

    const dm = roomItem(bob2, 'Ada Lovelace');
    await unreadBadge(dm).waitFor();
    expect(await unreadBadge(dm).textContent()).toBe('1');
    expect(await dm.getAttribute('class')).toContain('room-item--unread');
    await expect.poll(() => bob2.title()).toBe('(1) Chat');
    // Rooms, then direct conversations (each most recent first).
    expect(await roomTitles(bob2)).toEqual(['lobby', 'Ada Lovelace']);

    await expect.poll(() => bob.getByTestId('menu-unread').textContent()).toBe('1');
    await openSidebar(bob);
    await unreadBadge(roomItem(bob, 'Ada Lovelace')).waitFor();
    await checkBothSchemes(bob, 'list-phone');
    await checkBothSchemes(bob2, 'list-desktop');
    await bob.getByRole('button', { name: 'Close conversations' }).click();
  });

  it('reading the conversation on one device clears its badge on the others live', async () => {
    await roomItem(bob2, 'Ada Lovelace').click();
    await bob2.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    await expect.poll(() => unreadBadge(roomItem(bob2, 'Ada Lovelace')).count()).toBe(0);
    await expect.poll(() => bob.getByTestId('menu-unread').count()).toBe(0);
  });

  it('a third device of Bob shows the same rooms, and again after a reload', async () => {
    bob3 = await openPage(browser!, stack!.url, 'desktop');
    await logIn(bob3, 'bob', 'lobby');
    // It stays on #lobby, so later messages in the direct room stay unread for the others too.
    await roomItem(bob3, 'lobby').click();
    await expect.poll(() => roomTitles(bob3)).toEqual(['lobby', 'Ada Lovelace']);
    await bob3.reload();
    await roomItem(bob3, 'lobby').waitFor();
    await expect.poll(() => roomTitles(bob3)).toEqual(['lobby', 'Ada Lovelace']);
    expect(await bob3.title()).toBe('Chat');
  });

  it('Ada sees "Seen" under her message once Bob has read it', async () => {
    const seen = ada.getByTestId('seen-mark');
    await seen.waitFor();
    // Directly under "Hi Bob", her last message.
    expect(await ada.locator('[data-testid="message"]:has-text("Hi Bob") + [data-testid="seen-mark"]').count()).toBe(1);
  });

  it('a direct room shows the peer online: a dot in the list and the header, and in the members panel (keyboard)', async () => {
    const dot = roomItem(bob2, 'Ada Lovelace').getByTestId('presence-dot');
    await expect.poll(() => dot.getAttribute('data-online')).toBe('true');
    const toggle = bob2.getByRole('button', { name: 'Members', exact: true });
    await toggle.focus();
    await bob2.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const panel = bob2.getByRole('list', { name: 'Members of Ada Lovelace' });
    await panel.waitFor();
    await expect
      .poll(() =>
        panel
          .getByTestId('member')
          .evaluateAll((els) =>
            els.map((e) => `${e.querySelector('.member__name')?.textContent}: ${e.dataset.online}`),
          ),
      )
      .toEqual(['Ada Lovelace: true', 'Bob Stone (you): true']);
    await checkBothSchemes(bob2, 'members-desktop');
    await bob2.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await bob2.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Members');
  });

  it('on the phone the members panel is a sheet', async () => {
    await openSidebar(bob);
    await roomItem(bob, 'lobby').click();
    await bob.getByRole('button', { name: 'Members' }).click();
    await bob.getByRole('list', { name: 'Members of #lobby' }).waitFor();
    await checkBothSchemes(bob, 'members-phone');
    await bob.getByRole('button', { name: 'Close members of #lobby' }).click();
  });

  it('Bob sees "Ada Lovelace is typing…" while she types, and it goes when she sends', async () => {
    const line = bob2.getByTestId('typing-line');
    await composer(ada).pressSequentially('Are you th', { delay: 30 });
    await expect.poll(() => line.textContent()).toBe('Ada Lovelace is typing…');
    await checkBothSchemes(bob2, 'typing-desktop');
    await composer(ada).pressSequentially('ere?');
    await composer(ada).press('Enter');
    await expect.poll(() => line.textContent()).toBe('');
    await messageText(bob2, 'Are you there?').waitFor();
  });

  it('clearing the text ends the indicator without waiting for the timeout', async () => {
    const line = bob2.getByTestId('typing-line');
    // The previous test's typing went less than a second ago: the server relays one a second.
    await ada.waitForTimeout(1_100);
    await composer(ada).pressSequentially('hmm');
    await expect.poll(() => line.textContent()).toBe('Ada Lovelace is typing…');
    // Past the server's one-broadcast-a-second limit on typing.
    await ada.waitForTimeout(1_100);
    await composer(ada).fill('');
    await expect.poll(() => line.textContent(), { timeout: 3_000 }).toBe('');
  });

  it('messages that came while Bob was away sit under a "New messages" divider when he comes back', async () => {
    await roomItem(bob2, 'lobby').click();
    await bob2.getByRole('heading', { name: 'lobby' }).waitFor();
    await sendMessage(ada, 'One more thing');
    await sendMessage(ada, 'And another');
    await expect.poll(() => unreadBadge(roomItem(bob2, 'Ada Lovelace')).textContent()).toBe('2');
    await roomItem(bob2, 'Ada Lovelace').click();
    const divider = bob2.getByTestId('unread-divider');
    await divider.waitFor();
    expect(
      await bob2
        .locator('[data-testid="unread-divider"] + [data-testid="message"]')
        .getByTestId('message-text')
        .textContent(),
    ).toBe('One more thing');
    await checkBothSchemes(bob2, 'divider-desktop');
    // It stays while the room is open, and the badge is gone everywhere.
    await sendMessage(ada, 'Last one');
    await messageText(bob2, 'Last one').waitFor();
    expect(await divider.count()).toBe(1);
    await expect.poll(() => unreadBadge(roomItem(bob3, 'Ada Lovelace')).count()).toBe(0);
  });

  it('leaving #lobby on one device removes it from the list on every device', async () => {
    await roomItem(bob2, 'lobby').click();
    await bob2.getByRole('button', { name: 'Leave room' }).click();
    await bob2.getByRole('dialog').getByRole('button', { name: 'Leave room' }).click();
    await expect.poll(() => roomTitles(bob2)).toEqual(['Ada Lovelace']);
    await expect.poll(() => roomTitles(bob3)).toEqual(['Ada Lovelace']);
    await openSidebar(bob);
    await expect.poll(() => roomTitles(bob)).toEqual(['Ada Lovelace']);
    // And it stays gone after a reload (the server's list).
    await bob3.reload();
    await roomItem(bob3, 'Ada Lovelace').waitFor();
    expect(await roomTitles(bob3)).toEqual(['Ada Lovelace']);
  });

  it("Ada going away turns her dot off on Bob's devices", async () => {
    await ada.context().close();
    const dot = roomItem(bob2, 'Ada Lovelace').getByTestId('presence-dot');
    await expect.poll(() => dot.getAttribute('data-online'), { timeout: 15_000 }).toBe('false');
  });
});

import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkBothSchemes as checkScheme,
  composer,
  focusedComposer,
  joinRoomByKeyboard,
  openSidebar,
  SCREENSHOTS,
  sendMessage,
  signUp,
} from './browser.js';
import { useDesktopAndPhone } from './desktop-and-phone.js';
import type { Stack } from './stack.js';

/**
 * What a daily chat user sees (issue 16): links, leaving a room, keyboard focus and shortcuts,
 * contrast (axe), the phone's unread marker and dates — in Chromium, through the real stack.
 */

const env = useDesktopAndPhone('client-ui-view-e2e');
let stack: Stack;
/** Desktop user. */
let ada: Page;
/** Phone user. */
let bob: Page;
beforeAll(() => void ({ stack, ada, bob } = env));

/** Screenshots and axe in light and dark, named view-<name>-<scheme>.png. */
const checkBothSchemes = (page: Page, name: string) => checkScheme(page, `view-${name}`);

/** Ctrl+K, then wait for the switcher's field to have focus (keys typed before would go to the composer). */
async function openSwitcher(page: Page) {
  await page.keyboard.press('Control+k');
  const search = page.getByRole('dialog', { name: 'Jump to a room or person' }).getByRole('combobox');
  await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
  return search;
}

const heading = (page: Page) => page.getByRole('heading', { level: 1 }).first().textContent();
const roomIds = (page: Page) =>
  page.getByTestId('room-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-room-id')));

describe('the chat UI as a daily user meets it', () => {
  it('the sign-in screen reaches WCAG AA in light and dark, desktop and phone', async () => {
    await checkBothSchemes(ada, 'auth-desktop');
    await checkBothSchemes(bob, 'auth-phone');
  });

  it('two users sign up, one on a desktop and one on a phone', async () => {
    await signUp(ada, 'ada', 'Ada Lovelace');
    await signUp(bob, 'bob', 'Bob Stone');
  });

  it('joining a room with the keyboard moves focus to its composer', async () => {
    for (const room of ['general', 'random', 'design']) {
      await joinRoomByKeyboard(ada, room);
      await expect.poll(() => focusedComposer(ada)).toBe(`Message #${room}`);
    }
    // Typing goes straight into the room.
    await ada.keyboard.type('Typed right after joining');
    await ada.keyboard.press('Enter');
    await expect.poll(() => ada.getByTestId('message-text').last().textContent()).toBe('Typed right after joining');
  });

  it('Alt+↑/↓ moves between rooms in sidebar order, wrapping, with focus in the composer', async () => {
    // Most recent first: each room joined went on top.
    expect(await roomIds(ada)).toEqual(['design', 'random', 'general']);
    await ada.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => heading(ada)).toBe('general');
    await expect.poll(() => focusedComposer(ada)).toBe('Message #general');
    await ada.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => heading(ada)).toBe('random');
    await ada.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => heading(ada)).toBe('design');
    await ada.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => heading(ada)).toBe('random');
    await expect.poll(() => focusedComposer(ada)).toBe('Message #random');
  });

  it('Ctrl+K opens a quick switcher: type, arrow, Enter jumps; it can join a new room; Esc closes', async () => {
    const search = await openSwitcher(ada);
    const dialog = ada.getByRole('dialog', { name: 'Jump to a room or person' });
    const options = dialog.getByRole('option');
    expect(await options.allTextContents()).toEqual(['design', 'random', 'general']);
    await checkBothSchemes(ada, 'switcher-desktop');

    await ada.keyboard.type('d');
    // "design" starts with d; "random" only contains it.
    expect(await options.allTextContents()).toEqual(['design', 'random', 'Join #dPublic room']);
    await ada.keyboard.press('ArrowDown');
    expect(await dialog.getByRole('option', { selected: true }).textContent()).toBe('random');
    expect(await search.getAttribute('aria-activedescendant')).toBe(
      await dialog.getByRole('option', { selected: true }).getAttribute('id'),
    );
    await ada.keyboard.press('Enter');
    await expect.poll(() => heading(ada)).toBe('random');
    expect(await dialog.count()).toBe(0);
    await expect.poll(() => focusedComposer(ada)).toBe('Message #random');

    await openSwitcher(ada);
    await ada.keyboard.type('#watercooler');
    expect(await dialog.getByRole('option', { selected: true }).textContent()).toBe('Join #watercoolerPublic room');
    await ada.keyboard.press('Enter');
    await expect.poll(() => heading(ada)).toBe('watercooler');
    expect(await roomIds(ada)).toContain('watercooler');

    await openSwitcher(ada);
    await ada.keyboard.type('nobody!');
    await dialog.getByText('No rooms or people match “nobody!”.').waitFor();
    await ada.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await heading(ada)).toBe('watercooler');

    // Also reachable without the shortcut, for pointer and touch users.
    await openSidebar(bob);
    await bob.getByRole('button', { name: /^Jump to/ }).click();
    await bob.getByRole('dialog', { name: 'Jump to a room or person' }).waitFor();
    await checkBothSchemes(bob, 'switcher-phone');
    await bob.keyboard.press('Escape');
  });

  it('URLs in messages are links (new tab, no opener or referrer); other schemes stay text; long ones wrap', async () => {
    await joinRoomByKeyboard(bob, 'general');
    await ada.keyboard.press('Alt+ArrowUp'); // watercooler, on top, wraps to general at the bottom
    await expect.poll(() => heading(ada)).toBe('general');

    const local = `${stack.url}/landing?from=chat`;
    const wiki = 'https://en.wikipedia.org/wiki/Mercury_(planet)';
    const long = `https://example.com/${'very-long-path-segment/'.repeat(12)}end`;
    const text = `Docs: ${local}. Wiki (${wiki}), and javascript:alert(1) is not a link. ${long}`;
    await sendMessage(ada, text);

    for (const page of [ada, bob]) {
      const body = page.getByTestId('message-text').filter({ hasText: 'Docs:' });
      await body.waitFor();
      expect(await body.textContent()).toBe(text);
      const links = await body.getByRole('link').evaluateAll((els) =>
        els.map((a) => ({
          text: a.textContent,
          href: a.getAttribute('href'),
          target: a.getAttribute('target'),
          rel: a.getAttribute('rel'),
        })),
      );
      const expected = (url: string) => ({ text: url, href: url, target: '_blank', rel: 'noopener noreferrer' });
      expect(links).toEqual([expected(local), expected(wiki), expected(long)]);
      // The long URL wraps inside its bubble instead of widening the list.
      const overflow = await page.getByTestId('message-scroll').evaluate((el) => el.scrollWidth - el.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    }

    // The opened tab gets neither a handle on this one nor its address.
    const [popup] = await Promise.all([
      ada.context().waitForEvent('page'),
      ada.getByRole('link', { name: local }).click(),
    ]);
    await popup.waitForLoadState('domcontentloaded');
    expect(await popup.evaluate(() => ({ opener: window.opener as unknown, referrer: document.referrer }))).toEqual({
      opener: null,
      referrer: '',
    });
    expect(popup.url()).toBe(local);
    await popup.close();
    await ada.bringToFront();
  });

  it('a message time shows its full date on hover and on keyboard focus; day separators carry the date', async () => {
    await sendMessage(ada, 'What time is it?');
    const time = ada.getByTestId('message-time').last();
    const full = time.locator('.msg__time-full');
    const fullText = await full.textContent();
    const when = await time.getAttribute('datetime');
    expect(fullText).toBe(
      await ada.evaluate(
        (iso) => new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' }).format(new Date(iso)),
        when!,
      ),
    );
    const shown = () => full.evaluate((el) => el.getBoundingClientRect().width > 40);
    expect(await shown()).toBe(false);
    await time.hover();
    await expect.poll(shown).toBe(true);
    await ada.screenshot({ path: `${SCREENSHOTS}view-time-tooltip-desktop-light.png` });
    await ada.mouse.move(5, 790);
    await expect.poll(shown).toBe(false);

    // Focusable, from the keyboard: Tab from the previous message's time, past that
    // message's actions toolbar (one Tab stop).
    await ada.getByTestId('message-time').nth(-2).focus();
    await ada.keyboard.press('Tab');
    expect(await ada.evaluate(() => document.activeElement?.closest('[role="toolbar"]') !== null)).toBe(true);
    await ada.keyboard.press('Tab');
    expect(await time.evaluate((el) => el === document.activeElement)).toBe(true);
    await expect.poll(shown).toBe(true);
    // Escape dismisses it without moving focus.
    await ada.keyboard.press('Escape');
    await expect.poll(shown).toBe(false);
    expect(await time.evaluate((el) => el === document.activeElement)).toBe(true);

    const separator = ada.getByTestId('day-separator').last().locator('time');
    expect(await separator.textContent()).toBe('Today');
    expect(await separator.getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('on a phone, the menu button inside a room shows a count while other rooms have unread messages', async () => {
    await joinRoomByKeyboard(bob, 'random');
    await joinRoomByKeyboard(bob, 'general');
    await openSidebar(bob);
    await bob.keyboard.press('Escape');
    const menu = bob.getByRole('button', { name: /^Open conversations/ });
    await expect.poll(() => menu.getAttribute('aria-label')).toBe('Open conversations');
    expect(await bob.getByTestId('menu-unread').count()).toBe(0);

    await openSwitcher(ada);
    await ada.keyboard.type('random');
    await ada.keyboard.press('Enter');
    await sendMessage(ada, 'Over here in #random, Bob');
    await sendMessage(ada, 'Two unread now');
    await expect.poll(() => menu.getAttribute('aria-label')).toBe('Open conversations, 2 unread');
    expect(await bob.getByTestId('menu-unread').textContent()).toBe('2');
    await checkBothSchemes(bob, 'room-unread-phone');

    // Reading them clears it.
    await openSidebar(bob);
    await bob.getByTestId('room-item').filter({ hasText: 'random' }).click();
    await expect.poll(() => menu.getAttribute('aria-label')).toBe('Open conversations');
    await checkBothSchemes(bob, 'room-phone');
    await openSidebar(bob);
    await checkBothSchemes(bob, 'sidebar-phone');
    await bob.keyboard.press('Escape');
  });

  it('the chat screen reaches WCAG AA in light and dark on desktop', async () => {
    // #random went on top with Ada's messages there; #general is next.
    await ada.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => heading(ada)).toBe('general');
    await checkBothSchemes(ada, 'room-desktop');
  });

  it('while the chat server is away, the banner, the badge and a waiting message stay readable (AA)', async () => {
    await stack.stopChat();
    const status = ada.getByTestId('connection-status');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 10_000 }).not.toBe('connected');
    await sendMessage(ada, 'Waiting for the server: https://example.com/status');
    const last = ada.getByTestId('message').last();
    await expect.poll(() => last.getAttribute('data-status')).toBe('pending');
    await checkBothSchemes(ada, 'room-pending-desktop');
    await stack.startChat();
    await expect.poll(() => last.getAttribute('data-status'), { timeout: 20_000 }).toBe('sent');
  });

  it('leaving a room asks first: a labelled dialog, focus kept inside, Esc cancels, Enter confirms', async () => {
    const leave = ada.getByRole('button', { name: 'Leave room' });
    await leave.click();
    const dialog = ada.getByRole('dialog', { name: 'Leave #general?' });
    await dialog.waitFor();
    const focusedName = () => ada.evaluate(() => document.activeElement?.textContent);
    const focusInDialog = () => ada.evaluate(() => document.activeElement?.closest('dialog') !== null);
    expect(await focusedName()).toBe('Leave room');
    await checkBothSchemes(ada, 'leave-dialog-desktop');
    // Tab cycles within the dialog: the page behind it is inert.
    for (let i = 0; i < 4; i++) {
      await ada.keyboard.press('Tab');
      expect(await focusInDialog()).toBe(true);
    }
    await ada.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await heading(ada)).toBe('general');
    expect(await roomIds(ada)).toContain('general');
    // Focus goes back to the button that opened it.
    expect(await leave.evaluate((el) => el === document.activeElement)).toBe(true);

    await ada.keyboard.press('Enter');
    await dialog.waitFor();
    await ada.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => roomIds(ada)).toEqual(['random', 'watercooler', 'design']);
    await expect.poll(() => heading(ada)).toBe('random');

    // On a phone: the same dialog from the icon button in the header.
    await bob.getByRole('button', { name: 'Leave room' }).click();
    await bob.getByRole('dialog', { name: 'Leave #random?' }).waitFor();
    await checkBothSchemes(bob, 'leave-dialog-phone');
    await bob.getByRole('button', { name: 'Cancel' }).click();
    await bob.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await heading(bob)).toBe('random');
    expect(await composer(bob).count()).toBe(1);
  });
});

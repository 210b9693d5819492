import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkBothSchemes as checkScheme, composer, joinRoomByKeyboard, sendMessage, signUp } from './browser.js';
import { useDesktopAndPhone } from './desktop-and-phone.js';

/**
 * Room events in Chromium through the real stack (issue 12): Ada on a desktop and Bob on a
 * phone edit, delete, react and reply; each sees the other's changes live and after a reload.
 */

const ROOM = 'events';

const env = useDesktopAndPhone('client-ui-room-events-e2e');
/** Desktop user. */
let ada: Page;
/** Phone user. */
let bob: Page;
beforeAll(() => void ({ ada, bob } = env));

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The message row whose own text is exactly `text` (not a reply quoting it). */
const row = (page: Page, text: string): Locator =>
  page
    .getByTestId('message')
    .filter({ has: page.getByTestId('message-text').filter({ hasText: new RegExp(`^${escapeRegExp(text)}$`) }) });

const chips = (r: Locator) =>
  r.getByTestId('reaction').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));

/** A finger resting on the bubble until the action sheet opens, then lifted. */
async function longPress(page: Page, target: Locator): Promise<Locator> {
  const box = await target.locator('.msg__bubble').boundingBox();
  if (!box) throw new Error('nothing to press');
  const cdp = await page.context().newCDPSession(page);
  const touchPoints = [{ x: box.x + box.width / 2, y: box.y + box.height / 2 }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints });
  const sheet = page.getByRole('dialog', { name: /^Message from / });
  await sheet.waitFor();
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
  return sheet;
}

/** Screenshots and axe in light and dark, named events-<name>-<scheme>.png. */
const checkBothSchemes = (page: Page, name: string) => checkScheme(page, `events-${name}`);

describe('edit, delete, react and reply between two people', () => {
  it('both join one room and write', async () => {
    await signUp(ada, 'ada', 'Ada Lovelace');
    await signUp(bob, 'bob', 'Bob Stone');
    await joinRoomByKeyboard(ada, ROOM);
    await joinRoomByKeyboard(bob, ROOM);
    await sendMessage(ada, 'Hello teh world');
    await sendMessage(ada, 'Delete me soon');
    await row(bob, 'Delete me soon').waitFor();
    await sendMessage(bob, 'Lunch at noon?');
    await row(ada, 'Lunch at noon?').waitFor();
  });

  it('Ada edits in place from the hover toolbar; Bob sees the new text and the "edited" mark live', async () => {
    const original = row(ada, 'Hello teh world');
    await original.hover();
    await original.getByRole('button', { name: 'Edit' }).click();
    const editor = ada.getByRole('textbox', { name: 'Edit message' });
    await expect.poll(() => editor.evaluate((el) => el === document.activeElement)).toBe(true);
    await editor.fill('Hello the world');
    await editor.press('Enter');
    await row(ada, 'Hello the world').locator('.msg__edited').waitFor();
    await row(bob, 'Hello the world').locator('.msg__edited').waitFor();
    expect(await row(bob, 'Hello teh world').count()).toBe(0);
  });

  it('Bob reacts from the long-press sheet; Ada sees who and adds hers with a click; both see the count', async () => {
    const sheet = await longPress(bob, row(bob, 'Hello the world'));
    await checkBothSchemes(bob, 'action-sheet-phone');
    await sheet.getByRole('button', { name: 'thumbs up' }).click();
    await sheet.waitFor({ state: 'detached' });

    await expect.poll(() => chips(row(ada, 'Hello the world'))).toEqual(['👍 1: Bob Stone. React with it too']);
    await row(ada, 'Hello the world').getByTestId('reaction').click();
    await expect
      .poll(() => chips(row(ada, 'Hello the world')))
      .toEqual([expect.stringMatching(/^👍 2: You,? and Bob Stone\. Remove your reaction$/)]);
    await expect
      .poll(() => chips(row(bob, 'Hello the world')))
      .toEqual([expect.stringMatching(/^👍 2: You,? and Ada Lovelace\. Remove your reaction$/)]);
    expect(await row(ada, 'Hello the world').getByTestId('reaction').getAttribute('aria-pressed')).toBe('true');
  });

  it('the picker opens from the toolbar and works by keyboard (screenshots: toolbar and picker, light and dark)', async () => {
    const target = row(ada, 'Lunch at noon?');
    await target.hover();
    await target.getByRole('button', { name: 'Add reaction' }).click();
    const picker = target.getByRole('menu', { name: 'Add a reaction' });
    await picker.waitFor();
    await checkBothSchemes(ada, 'picker-desktop');
    await ada.keyboard.press('ArrowRight'); // ❤️
    await ada.keyboard.press('ArrowRight'); // 😂
    await ada.keyboard.press('ArrowRight'); // 🎉
    await ada.keyboard.press('Enter');
    await picker.waitFor({ state: 'detached' });
    await expect.poll(() => chips(row(bob, 'Lunch at noon?'))).toEqual(['🎉 1: Ada Lovelace. React with it too']);
  });

  it('Ada deletes with confirmation; the placeholder keeps its place for both', async () => {
    const doomed = row(ada, 'Delete me soon');
    await doomed.hover();
    await doomed.getByRole('button', { name: 'Delete' }).click();
    const dialog = ada.getByRole('dialog', { name: 'Delete this message?' });
    await dialog.waitFor();
    await checkBothSchemes(ada, 'delete-dialog-desktop');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    for (const page of [ada, bob]) {
      await expect
        .poll(() => page.getByTestId('message-text').allTextContents())
        .toEqual(['Hello the world', 'Message deleted', 'Lunch at noon?']);
    }
  });

  it('Bob replies from the sheet; the reply shows the quote; Ada clicks it and the original is highlighted', async () => {
    const sheet = await longPress(bob, row(bob, 'Hello the world'));
    await sheet.getByRole('button', { name: 'Reply' }).click();
    await bob.getByTestId('reply-preview').waitFor();
    expect(await bob.getByTestId('reply-preview').textContent()).toBe('Replying to Ada LovelaceHello the world');
    await checkBothSchemes(bob, 'reply-compose-phone');
    await sendMessage(bob, 'Agreed, see you there');
    expect(await bob.getByTestId('reply-preview').count()).toBe(0);

    const reply = row(ada, 'Agreed, see you there');
    await reply.waitFor();
    expect(await reply.getByTestId('reply-quote').textContent()).toBe('In reply to Ada Lovelace: Hello the world');
    await reply.getByTestId('reply-quote').click();
    await expect.poll(() => row(ada, 'Hello the world').getAttribute('class')).toContain('msg--highlighted');
    await checkBothSchemes(ada, 'room-desktop');
    await checkBothSchemes(bob, 'room-phone');
  });

  it('Up-arrow in Ada’s empty composer edits her last message; Escape leaves it as it was', async () => {
    await composer(ada).click();
    await ada.keyboard.press('ArrowUp');
    const editor = ada.getByRole('textbox', { name: 'Edit message' });
    await editor.waitFor();
    expect(await editor.inputValue()).toBe('Hello the world');
    await checkBothSchemes(ada, 'editing-desktop');
    await ada.keyboard.press('Escape');
    await editor.waitFor({ state: 'detached' });
    await expect.poll(() => composer(ada).evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('after a reload both see the same current state, from history', async () => {
    await Promise.all([ada.reload(), bob.reload()]);
    for (const [page, other] of [
      [ada, 'Bob Stone'],
      [bob, 'Ada Lovelace'],
    ] as const) {
      await expect
        .poll(() => page.getByTestId('message-text').allTextContents(), { timeout: 20_000 })
        .toEqual(['Hello the world', 'Message deleted', 'Lunch at noon?', 'Agreed, see you there']);
      const edited = row(page, 'Hello the world');
      expect(await edited.locator('.msg__edited').count()).toBe(1);
      expect(await chips(edited)).toEqual([
        expect.stringMatching(new RegExp(`^👍 2: You,? and ${other}\\. Remove your reaction$`)),
      ]);
      expect(await row(page, 'Agreed, see you there').getByTestId('reply-quote').textContent()).toBe(
        'In reply to Ada Lovelace: Hello the world',
      );
      expect(await page.locator('[data-deleted]').count()).toBe(1);
    }
  });
});

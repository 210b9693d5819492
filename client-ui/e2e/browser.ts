import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** What a user does in the app, and what the checks need, for the Chromium e2e files. */

export const PASSWORD = 'correct horse battery';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page in its own context; phones get touch and a coarse pointer. Reduced motion: screenshots show settled layouts. */
export async function openPage(browser: Browser, url: string, device: 'desktop' | 'phone'): Promise<Page> {
  const phone = device === 'phone';
  const context = await browser.newContext({
    viewport: phone ? PHONE : DESKTOP,
    deviceScaleFactor: 1,
    reducedMotion: 'reduce',
    ...(phone ? { isMobile: true, hasTouch: true } : {}),
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(url);
  return page;
}

export async function signUp(page: Page, username: string, displayName: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText(`Welcome, ${displayName}`).waitFor();
}

/** On a phone the conversations live in a drawer behind the menu button. */
export async function openSidebar(page: Page): Promise<void> {
  const close = page.getByRole('button', { name: 'Close conversations' });
  const menu = page.getByRole('button', { name: /^Open conversations/ });
  if (!(await close.isVisible()) && (await menu.isVisible())) {
    await menu.click();
    await close.waitFor();
  }
}

/** Join by typing the name and pressing Enter, as a keyboard user does. */
export async function joinRoomByKeyboard(page: Page, name: string): Promise<void> {
  await openSidebar(page);
  await page.getByLabel('Join a room').fill(name);
  await page.getByLabel('Join a room').press('Enter');
  await page.getByRole('heading', { name, exact: true }).waitFor();
}

export const composer = (page: Page) => page.getByRole('textbox', { name: /^Message / });

export async function sendMessage(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** The composer's accessible name when it has focus ("Message #general"), else undefined. */
export const focusedComposer = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el instanceof HTMLTextAreaElement ? el.labels?.[0]?.textContent : undefined;
  });

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules and best practices). */
export async function seriousAxeViolations(page: Page): Promise<AxeFinding[]> {
  // Evaluated through the DevTools protocol: the gateway's CSP (script-src 'self') rightly
  // refuses an inline <script>, which page.addScriptTag would add.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? '',
        help: v.help,
        nodes: v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`.slice(0, 300)),
      }));
  });
}

/** Where the e2e files put their screenshots (client-ui/screenshots/). */
export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

/** The page in light and in dark: a screenshot of each (`<name>-<scheme>.png`), and no serious or critical axe finding in either. */
export async function checkBothSchemes(page: Page, name: string): Promise<void> {
  const found: Record<string, AxeFinding[]> = {};
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: `${SCREENSHOTS}${name}-${colorScheme}.png` });
    const violations = await seriousAxeViolations(page);
    if (violations.length > 0) found[colorScheme] = violations;
  }
  await page.emulateMedia({ colorScheme: 'light' });
  expect(found, `axe on ${name}:\n${JSON.stringify(found, null, 2)}`).toEqual({});
}

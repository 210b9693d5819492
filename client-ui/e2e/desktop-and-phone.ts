import { mkdir } from 'node:fs/promises';
import { useIsolation } from '@chat/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, openPage, SCREENSHOTS } from './browser.js';
import { buildUi, startStack, type Stack } from './stack.js';

export interface DesktopAndPhone {
  stack: Stack;
  /** Desktop user. */
  ada: Page;
  /** Phone user. */
  bob: Page;
}

/**
 * For an e2e file: the UI built, the whole stack on the file's isolated services, Chromium,
 * and two pages (a desktop and a phone), ready in `beforeAll` and torn down after the file.
 * The fields are filled once the file's first hook has run.
 */
export function useDesktopAndPhone(label: string): DesktopAndPhone {
  const iso = useIsolation(label);
  const env = {} as DesktopAndPhone;
  let ui: Awaited<ReturnType<typeof buildUi>> | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    ui = await buildUi();
    env.stack = await startStack(iso(), ui.dir);
    browser = await launchChromium();
    env.ada = await openPage(browser, env.stack.url, 'desktop');
    env.bob = await openPage(browser, env.stack.url, 'phone');
  });
  afterAll(async () => {
    await browser?.close();
    await env.stack?.close();
    await ui?.remove();
  });
  return env;
}

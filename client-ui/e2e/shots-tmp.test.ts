// TEMPORARY (not committed): screenshots of the membership UI with the room list, members and
// socket events stood in for, while the server side is being built.
import { mkdir } from 'node:fs/promises';
import { dmRoomId, type Message } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, it } from 'vitest';
import { seriousAxeViolations, joinRoomByKeyboard, launchChromium, openPage, openSidebar, PASSWORD, SCREENSHOTS, sendMessage, signUp } from './browser.js';
import { buildUi, startStack, type Stack } from './stack.js';

const iso = useIsolation('ui-members-shots');
let ui: Awaited<ReturnType<typeof buildUi>> | undefined;
let stack: Stack | undefined;
let browser: Browser | undefined;
beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  ui = await buildUi();
  stack = await startStack(iso(), ui.dir);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await ui?.remove();
});

const session = (p: Page) => p.evaluate(() => JSON.parse(localStorage.getItem('chat.session')!) as { token: string; user: { id: string } });
const shot = async (p: Page, name: string) => {
  for (const scheme of ['light', 'dark'] as const) {
    await p.emulateMedia({ colorScheme: scheme });
    await p.screenshot({ path: `${SCREENSHOTS}tmp-${name}-${scheme}.png` });
    console.log('axe', name, scheme, JSON.stringify(await seriousAxeViolations(p)));
  }
  await p.emulateMedia({ colorScheme: 'light' });
};

it('shots', async () => {
  const ada = await openPage(browser!, stack!.url, 'desktop');
  await signUp(ada, 'ada', 'Ada Lovelace');
  await joinRoomByKeyboard(ada, 'general');
  const bob = await openPage(browser!, stack!.url, 'desktop');
  await signUp(bob, 'bob', 'Bob Stone');
  await joinRoomByKeyboard(bob, 'general');
  await sendMessage(ada, 'Morning all');
  await sendMessage(ada, 'Has anyone seen the deploy notes?');
  await sendMessage(ada, '@bob can you check the release checklist?');
  await bob.getByTestId('message-text').filter({ hasText: '@bob can you check' }).waitFor();
  await openSidebar(bob);
  await bob.getByLabel('Direct message').fill('ada');
  await bob.getByLabel('Direct message').press('Enter');
  await bob.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
  await sendMessage(bob, 'Hey Ada, quick question about the notes');
  await sendMessage(bob, 'Are they in the wiki?');
  await bob.waitForTimeout(500);
  const a = await session(ada);
  const b = await session(bob);
  const dm = dmRoomId(a.user.id, b.user.id);
  const hist = async (room: string) =>
    ((await (await fetch(`${stack!.url}/messages/history/${encodeURIComponent(room)}`, { headers: { authorization: `Bearer ${b.token}` } })).json()) as { messages: Message[] }).messages;
  const general = await hist('general');
  const direct = await hist(dm);
  const rooms = [
    { roomId: dm, peer: a.user.id, lastSeq: direct.at(-1)!.seq, lastReadSeq: direct.at(-1)!.seq, unread: 0, mentions: 0, lastMessage: direct.at(-1) },
    { roomId: 'general', lastSeq: general.at(-1)!.seq, lastReadSeq: general[0]!.seq, unread: 2, mentions: 1, lastMessage: general.at(-1) },
    { roomId: 'design-review', lastSeq: 300, lastReadSeq: 100, unread: 150, mentions: 0 },
  ];
  const members: Record<string, unknown[]> = {
    general: [
      { userId: a.user.id, displayName: 'Ada Lovelace', online: true, lastReadSeq: 3 },
      { userId: b.user.id, displayName: 'Bob Stone', online: true, lastReadSeq: 1 },
      { userId: 'c'.repeat(24), displayName: 'Cy Young', online: false, lastReadSeq: 0 },
    ],
    [dm]: [
      { userId: a.user.id, displayName: 'Ada Lovelace', online: true, lastReadSeq: direct[0]!.seq },
      { userId: b.user.id, displayName: 'Bob Stone', online: true, lastReadSeq: direct.at(-1)!.seq },
    ],
  };
  const sockets: WebSocketRoute[] = [];
  const stub = async (ctx: BrowserContext) => {
    await ctx.route('**/messages/rooms', (r) => r.fulfill({ json: { rooms } }));
    await ctx.route(/\/messages\/rooms\/[^/]+\/members$/, (r) => {
      const id = decodeURIComponent(new URL(r.request().url()).pathname.split('/')[3]!);
      return r.fulfill({ json: { members: members[id] ?? [] } });
    });
    await ctx.route(/\/auth\/users\?ids=/, (r) => r.fulfill({ json: { users: [{ id: a.user.id, username: 'ada', displayName: 'Ada Lovelace' }] } }));
    await ctx.routeWebSocket(/socket\.io/, (ws) => {
      ws.connectToServer();
      console.log('ws opened', ws.url());
      ws.onClose(() => console.log('ws closed', ws.url()));
      sockets.push(ws);
    });
  };
  await stub(bob.context());
  await bob.reload();
  await bob.getByTestId('room-item').nth(2).waitFor();
  await bob.getByTestId('room-item').filter({ hasText: 'general' }).click();
  await bob.getByTestId('unread-divider').waitFor().catch(() => undefined);
  await shot(bob, 'desktop-divider');
  for (const ws of sockets) ws.send(`42${JSON.stringify(['typing', { roomId: 'general', userId: a.user.id, displayName: 'Ada Lovelace', typing: true }])}`);
  await bob.getByRole('button', { name: 'Members' }).click();
  await bob.getByRole('list', { name: /Members of/ }).waitFor();
  await bob.getByText('Ada Lovelace is typing…').waitFor();
  await shot(bob, 'desktop-members-typing');
  await bob.keyboard.press('Escape');
  await bob.locator('[data-room-id^="dm:"]').click();
  await bob.getByTestId('seen-mark').waitFor().catch(() => undefined);
  await shot(bob, 'desktop-dm-seen');

  const phone = await openPage(browser!, stack!.url, 'phone');
  await stub(phone.context());
  await phone.getByLabel('Username').fill('bob');
  await phone.getByLabel('Password').fill(PASSWORD);
  await phone.getByLabel('Password').press('Enter');
  await phone.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
  await openSidebar(phone);
  await shot(phone, 'phone-list');
  await phone.getByTestId('room-item').filter({ hasText: 'general' }).click();
  await phone.waitForTimeout(800);
  for (const ws of sockets) ws.send(`42${JSON.stringify(['typing', { roomId: 'general', userId: 'c'.repeat(24), displayName: 'Cy Young', typing: true }])}`);
  for (const ws of sockets) ws.send(`42${JSON.stringify(['typing', { roomId: 'general', userId: a.user.id, displayName: 'Ada Lovelace', typing: true }])}`);
  console.log('sockets', sockets.length, await phone.getByTestId('typing-line').count());
  await phone.waitForTimeout(1000);
  console.log('line', await phone.getByTestId('typing-line').textContent(), 'desktop', await bob.getByTestId('typing-line').textContent());
  await phone.getByText('Ada Lovelace and Cy Young are typing…').or(phone.getByText('Cy Young and Ada Lovelace are typing…')).waitFor();
  await shot(phone, 'phone-room');
  await phone.getByRole('button', { name: 'Members' }).click();
  await phone.getByRole('list', { name: /Members of/ }).waitFor();
  await shot(phone, 'phone-members');
  console.log('titles', await bob.title(), await phone.title());
});

import type { HistoryResponse, PublicUser } from '@chat/contracts';
import { afterEach, vi } from 'vitest';
import type { HistoryCursor } from '../src/api/history.js';
import { ChatClient, type ChatClientDeps, type ChatSocket } from '../src/chat/chat-client.js';
import { ME_ID, MemoryStorage, message as msg } from './fixtures.js';

export const ME: PublicUser = { id: ME_ID, username: 'me', displayName: 'Me' };

type Handler = (...args: unknown[]) => void;

/**
 * Stands in for socket.io's client socket: records emits and lets the test answer them,
 * drop the connection, and push server events. Only what ChatClient uses.
 */
export class FakeSocket {
  connected = false;
  auth: { token: string } = { token: 't' };
  active = false;
  readonly emitted: { event: string; payload: unknown; answer: (ack: unknown) => void; fail: () => void }[] = [];
  private readonly handlers = new Map<string, Handler[]>();
  readonly io = { on: () => this.io, removeAllListeners: () => this.io };

  on(event: string, handler: Handler) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  removeAllListeners() {
    this.handlers.clear();
    return this;
  }
  fire(event: string, ...args: unknown[]) {
    for (const h of this.handlers.get(event) ?? []) h(...args);
  }
  connect() {
    this.active = true;
    return this;
  }
  serverAccepts() {
    this.connected = true;
    this.fire('connect');
  }
  drop() {
    this.connected = false;
    this.fire('disconnect', 'transport close');
  }
  disconnect() {
    const was = this.connected;
    this.connected = false;
    this.active = false;
    if (was) this.fire('disconnect', 'io client disconnect');
    return this;
  }
  /** socket.io's volatile flag (typing): recorded like any emit. */
  get volatile() {
    return this;
  }
  emit(event: string, payload: unknown) {
    this.emitted.push({ event, payload, answer: () => undefined, fail: () => undefined });
    return this;
  }
  timeout() {
    return {
      emitWithAck: (event: string, payload: unknown) =>
        new Promise((resolve, reject) => {
          this.emitted.push({
            event,
            payload,
            answer: resolve,
            fail: () => reject(new Error('operation has timed out')),
          });
        }),
    };
  }
  /** The oldest unanswered emit of this event. */
  take(event: string) {
    const i = this.emitted.findIndex((e) => e.event === event);
    if (i < 0) throw new Error(`no ${event} emitted; have ${this.emitted.map((e) => e.event).join(', ')}`);
    return this.emitted.splice(i, 1)[0]!;
  }
}

export function setup(
  history: (roomId: string, cursor: HistoryCursor) => Promise<HistoryResponse>,
  gapGraceMs = 2_000,
  extra: Partial<ChatClientDeps> = {},
) {
  const socket = new FakeSocket();
  const onUnauthorized = vi.fn();
  const historyMock = vi.fn(history);
  let n = 0;
  const client = new ChatClient({
    token: 't',
    me: ME,
    history: historyMock,
    onUnauthorized,
    createSocket: () => socket as unknown as ChatSocket,
    newClientMsgId: () => `id-${++n}`,
    rejoinDelayMs: 5,
    gapGraceMs,
    isOnline: () => true,
    storage: new MemoryStorage(),
    ...extra,
  });
  client.start();
  clients.push(client);
  return { client, socket, onUnauthorized, history: historyMock };
}

const clients: ChatClient[] = [];
afterEach(() => clients.splice(0).forEach((c) => c.stop()));

export const flush = () => new Promise((r) => setTimeout(r, 0));
export const room = (c: ChatClient) => c.getSnapshot().rooms.general!;
export const seqs = (c: ChatClient) => room(c).timeline.messages.map((m) => m.seq);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const joinAck = (lastSeq: number, missed = [] as ReturnType<typeof msg>[]) => ({
  ok: true,
  room: { id: 'general', lastSeq, lastReadSeq: 0 },
  missed,
  hasMore: false,
});
export const joinsEmitted = (socket: FakeSocket) => socket.emitted.filter((e) => e.event === 'joinRoom');

/** Connected, 'general' opened with `held` as its history and joined from its last seq. */
export async function inRoom(held: number[] = [], gapGraceMs?: number, extra: Partial<ChatClientDeps> = {}) {
  const t = setup(async () => ({ messages: held.map((seq) => msg(seq)), hasMore: false }), gapGraceMs, extra);
  t.socket.serverAccepts();
  await t.client.openRoom('general');
  t.socket.take('joinRoom').answer(joinAck(held.at(-1) ?? 0));
  await flush();
  return t;
}

import type { Message } from '@chat/contracts';
import type { Admission, SendAdmission, SendRequest } from './admission.js';

/** The Redis admission's rules in one process, for unit tests of the handlers. */
export class MemoryAdmission implements SendAdmission {
  private readonly seqs = new Map<string, number>();
  /** `pending:<messageId>`, `uncertain:<json>` or the accepted message's JSON, by user and clientMsgId. */
  private readonly sent = new Map<string, string>();
  private readonly windows = new Map<string, { used: number; resetsAt: number }>();

  constructor(private readonly ratePerMinute: number) {}

  async admit(req: SendRequest): Promise<Admission> {
    const sentKey = `${req.userId}:${req.clientMsgId}`;
    const sent = this.sent.get(sentKey);
    if (sent?.startsWith('pending:')) return { kind: 'in-flight' };
    if (sent?.startsWith('uncertain:')) {
      this.sent.set(sentKey, `pending:${req.messageId}`);
      return { kind: 'uncertain', message: JSON.parse(sent.slice('uncertain:'.length)) as Message };
    }
    if (sent !== undefined) return { kind: 'duplicate', message: JSON.parse(sent) as Message };
    const now = Date.now();
    let window = this.windows.get(req.userId);
    if (!window || window.resetsAt <= now) this.windows.set(req.userId, (window = { used: 0, resetsAt: now + 60_000 }));
    if (window.used >= this.ratePerMinute) {
      return { kind: 'rate-limited', retryAfterSec: Math.max(1, Math.ceil((window.resetsAt - now) / 1000)) };
    }
    const last = this.seqs.get(req.roomId);
    if (last === undefined) return { kind: 'unseeded' };
    this.seqs.set(req.roomId, last + 1);
    window.used++;
    this.sent.set(sentKey, `pending:${req.messageId}`);
    return { kind: 'accepted', seq: last + 1 };
  }

  async commit(req: SendRequest, messageJson: string): Promise<void> {
    this.sent.set(`${req.userId}:${req.clientMsgId}`, messageJson);
  }

  async release(req: SendRequest): Promise<void> {
    const key = `${req.userId}:${req.clientMsgId}`;
    if (this.sent.get(key) === `pending:${req.messageId}`) this.sent.delete(key);
  }

  async markUncertain(req: SendRequest, messageJson: string): Promise<void> {
    const key = `${req.userId}:${req.clientMsgId}`;
    if (this.sent.get(key) === `pending:${req.messageId}`) this.sent.set(key, `uncertain:${messageJson}`);
  }

  async seedSequence(roomId: string, floor: number): Promise<void> {
    if (!this.seqs.has(roomId)) this.seqs.set(roomId, floor);
  }

  async raiseSequence(roomId: string, floor: number): Promise<void> {
    const last = this.seqs.get(roomId);
    if (last !== undefined && last < floor) this.seqs.set(roomId, floor);
  }

  async lastSeq(roomId: string): Promise<number | null> {
    return this.seqs.get(roomId) ?? null;
  }
}

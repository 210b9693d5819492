import { randomUUID } from 'node:crypto';
import type { Message } from '@chat/contracts';
import { getHistory } from '../../../message-service/test/helpers.js';
import { connect, connected, join, send, type ChatNode, type ClientSocket } from '../helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A client as the UI behaves: keeps messages by seq, and after a drop reconnects (to either
 * node), rejoins with sinceSeq = its watermark, and pages history while hasMore. The watermark
 * is the top of the unbroken run of seqs it holds: a hole above it may be a message broadcast
 * while it was away (a lower seq confirmed late), and joinRoom answers only what is above
 * sinceSeq. (Seqs of a room run consecutively here: every send succeeds.)
 * Resends a message with the same clientMsgId until it is acked.
 */
export class ResyncingClient {
  private socket!: ClientSocket;
  private readonly bySeq = new Map<number, Message>();
  /**
   * Held is everything up to here: raised by a join answered complete (and the history pages
   * after it). Not the lowest seq held: a room's seqs start at a clock floor, not at 1, so a
   * client that got its room's second message before the first (from the other node, through
   * Redis) and dropped in between would take the second for the start and never ask for the first.
   */
  private provenTop = 0;
  /** Two different messages seen with one seq: must stay 0. */
  conflicts = 0;
  reconnects = 0;

  constructor(
    private readonly nodes: ChatNode[],
    private readonly historyUrl: string,
    private readonly roomId: string,
    readonly token: string,
    private readonly index: number,
  ) {}

  received(): Message[] {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  async start(): Promise<void> {
    await this.connectTo(this.nodes[this.index % this.nodes.length]!);
  }

  /** Send `count` messages one after another, dropping the connection with probability `dropRate` after each. */
  async sendAll(count: number, dropRate: number): Promise<Message[]> {
    const sent: Message[] = [];
    for (let i = 0; i < count; i++) {
      sent.push(await this.sendReliably(`client ${this.index} message ${i}`, randomUUID()));
      if (Math.random() < dropRate) await this.reconnect();
    }
    return sent;
  }

  private add(m: Message): void {
    const prev = this.bySeq.get(m.seq);
    if (prev && prev.id !== m.id) this.conflicts++;
    this.bySeq.set(m.seq, m);
  }

  private async connectTo(node: ChatNode): Promise<void> {
    const socket = connect(node.url, this.token);
    socket.on('receiveMessage', (m) => this.add(m));
    this.socket = await connected(socket);
    await this.rejoin();
  }

  private async rejoin(): Promise<void> {
    const sinceSeq = this.watermark();
    const ack = await join(this.socket, this.roomId, sinceSeq);
    ack.missed.forEach((m) => this.add(m));
    let after = ack.missed.at(-1)?.seq ?? sinceSeq;
    for (let hasMore = ack.hasMore; hasMore;) {
      const { body } = await getHistory(this.historyUrl, this.roomId, { after, limit: 100 }, this.token);
      body.messages.forEach((m) => this.add(m));
      hasMore = body.hasMore;
      after = body.messages.at(-1)?.seq ?? after;
    }
    this.provenTop = Math.max(this.provenTop, after);
  }

  /** The proven top, extended through the seqs held right after it (a room's seqs go up by one). */
  private watermark(): number {
    let top = this.provenTop;
    for (const seq of [...this.bySeq.keys()].sort((a, b) => a - b)) {
      if (seq <= top) continue;
      if (seq !== top + 1) break;
      top = seq;
    }
    return top;
  }

  private async reconnect(): Promise<void> {
    this.reconnects++;
    this.socket.disconnect();
    await sleep(Math.random() * 40);
    await this.connectTo(this.nodes[Math.floor(Math.random() * this.nodes.length)]!);
  }

  private async sendReliably(text: string, clientMsgId: string): Promise<Message> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const ack = await send(this.socket, this.roomId, text, clientMsgId).catch(() => null);
      if (ack?.ok) return ack.message;
      await sleep(20);
      if (!this.socket.connected) await this.reconnect();
    }
    throw new Error(`could not send ${clientMsgId}`);
  }
}

import type { Histogram } from 'hdr-histogram-js';

export const STATUS: { NONE: 0; SENT: 1; ACKED: 2; ERROR: 3 };
export function tally(counts: Record<string, number>, key: string, n?: number): void;
export function newHistogram(): Histogram;
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}
export function summarizeHistogram(h: Histogram): LatencySummary;
export function embeddedSendTime(text: string): number;
interface DeliveredMessage {
  roomId: string;
  seq: number;
  clientMsgId: string;
  text: string;
  createdAt: string;
}
export class RunTracker {
  constructor(p: {
    capacity: number;
    clients: number;
    rooms: number;
    roomsPerUser: number;
    runId: string;
    roomPrefix: string;
    now: () => number;
  });
  member: Uint8Array;
  sentCount: number;
  acked: number;
  ackErrors: number;
  errorsByCode: Record<string, number>;
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  outOfOrderByRoom: Uint32Array;
  foreign: number;
  notMember: number;
  latencyFallbacks: number;
  deliveryHist: Histogram;
  recordSend(k: number, client: number, room: number, at: number): void;
  recordAck(k: number, ack: unknown, at: number): void;
  recordSendFailure(k: number, code: string): void;
  recordDelivery(i: number, msg: DeliveredMessage, at: number): void;
  lastSeqSeen(i: number, j: number): number;
  /** Per second of the send phase, the slowest last delivery of a message sent in it (ms). */
  slowestBySecond(): number[];
  expectedDeliveries(): number;
  lostDeliveries(sampleMax?: number): {
    total: number;
    membersWithLoss: number;
    worst: { client: number; lost: number };
    samples: { client: number; clientMsgId: string; seq: number }[];
  };
  outstandingAcks(): number;
}

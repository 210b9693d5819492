export interface RunMessage {
  roomId: string;
  seq: number;
  id: string;
  clientMsgId: string;
  senderId?: string;
}
export interface Finding {
  count: number;
  byPhase: Record<string, number>;
  samples: Record<string, unknown>[];
}
export interface FaultTally {
  acked: number;
  stored: number;
  storedViaHistory: number;
  lost: Finding;
  duplicated: Finding;
  seqReused: Finding;
  ackedButUnstored: Finding;
  shownButUnstored: Finding;
  ackConflicts: Finding;
}
export function tallyFaultRun(p: {
  acks: RunMessage[];
  liveDuplicates: (RunMessage & { client: number })[];
  seen: RunMessage[];
  stored: RunMessage[];
  history: RunMessage[];
  phaseOf: (clientMsgId: string | undefined) => string;
}): FaultTally;
export const FAILING_COUNTS: (keyof FaultTally)[];
export function failures(tally: FaultTally): string[];

export interface AckedMessage {
  k: number;
  roomId: string;
  seq: number;
  id: string;
}
export interface StoredMessage {
  roomId: string;
  seq: number;
  id: string;
  clientMsgId: string;
}
export interface PersistenceResult {
  acked: number;
  persisted: number;
  missing: number;
  duplicated: number;
  mismatched: number;
  unackedStored: number;
  foreign: number;
  ok: boolean;
  samples: {
    missing: { clientMsgId: string; roomId: string; seq: number }[];
    duplicated: { clientMsgId: string; roomId: string; copies: number }[];
    mismatched: { clientMsgId: string; acked: unknown; stored: unknown }[];
  };
}
export function verifyPersistence(p: {
  acked: AckedMessage[];
  stored: StoredMessage[];
  msgPrefix: string;
  sampleMax?: number;
}): PersistenceResult;

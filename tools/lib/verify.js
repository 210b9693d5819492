// The persistence check: every acked message is in the history API exactly once, with the
// seq and id its ack carried. Pure functions, so the loss/duplicate verdict is testable alone.
import { indexAfter } from './ids.js';

/**
 * @param {object} p
 * @param {{k:number, roomId:string, seq:number, id:string}[]} p.acked messages whose sendMessage ack was ok
 * @param {{roomId:string, seq:number, id:string, clientMsgId:string}[]} p.stored messages read from history
 * @param {string} p.msgPrefix clientMsgIds of this run are `<msgPrefix><k>`
 * @param {number} [p.sampleMax] examples kept per finding
 */
export function verifyPersistence({ acked, stored, msgPrefix, sampleMax = 20 }) {
  const copies = new Map(); // k -> stored messages with that clientMsgId
  let foreign = 0;
  for (const m of stored) {
    const k = indexAfter(m.clientMsgId, msgPrefix);
    if (k < 0) {
      foreign++;
      continue;
    }
    const list = copies.get(k);
    if (list) list.push(m);
    else copies.set(k, [m]);
  }
  const missing = [];
  const duplicated = [];
  const mismatched = [];
  let persisted = 0;
  const ackedKs = new Set();
  for (const a of acked) {
    ackedKs.add(a.k);
    const found = copies.get(a.k);
    if (!found) {
      missing.push({ clientMsgId: `${msgPrefix}${a.k}`, roomId: a.roomId, seq: a.seq });
      continue;
    }
    if (found.length > 1)
      duplicated.push({ clientMsgId: `${msgPrefix}${a.k}`, roomId: a.roomId, copies: found.length });
    else persisted++;
    const m = found[0];
    if (m.roomId !== a.roomId || m.seq !== a.seq || m.id !== a.id) {
      mismatched.push({
        clientMsgId: `${msgPrefix}${a.k}`,
        acked: { roomId: a.roomId, seq: a.seq, id: a.id },
        stored: { roomId: m.roomId, seq: m.seq, id: m.id },
      });
    }
  }
  // Stored messages whose send got an error ack or none: allowed (a send may be durable even
  // when its ack is lost), but a duplicate among them is still a duplicate.
  let unackedStored = 0;
  for (const [k, list] of copies) {
    if (ackedKs.has(k)) continue;
    unackedStored++;
    if (list.length > 1)
      duplicated.push({ clientMsgId: `${msgPrefix}${k}`, roomId: list[0].roomId, copies: list.length });
  }
  return {
    acked: acked.length,
    persisted,
    missing: missing.length,
    duplicated: duplicated.length,
    mismatched: mismatched.length,
    unackedStored,
    foreign,
    ok: missing.length === 0 && duplicated.length === 0 && mismatched.length === 0,
    samples: {
      missing: missing.slice(0, sampleMax),
      duplicated: duplicated.slice(0, sampleMax),
      mismatched: mismatched.slice(0, sampleMax),
    },
  };
}

/**
 * The highest seq below which every acked message of a room has been seen in history: the
 * history poller may stop re-reading up to there (a batch can land out of seq order).
 */
export function contiguousSeenSeq(ackedSeqsAscending, seenSeqs, startAfter) {
  let safe = startAfter;
  for (const seq of ackedSeqsAscending) {
    if (!seenSeqs.has(seq)) break;
    safe = seq;
  }
  return safe;
}

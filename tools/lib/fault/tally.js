// The fault run's verdict (DESIGN.md §4 guarantees), from what the clients were acked and
// received and what MongoDB and the history API hold. Pure, so each count can be tested alone.

const SAMPLES = 5;

/** The idempotency key of a message: the unique index of message-service (DESIGN.md §4.4). */
const keyOf = (m) => `${m.roomId}\u0000${m.senderId}\u0000${m.clientMsgId}`;
const slotOf = (m) => `${m.roomId}\u0000${m.seq}`;

function groupBy(list, keyFn) {
  const out = new Map();
  for (const item of list) {
    const k = keyFn(item);
    const group = out.get(k);
    if (group) group.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** A count, how many fell in each phase of the run (`phaseOf` an example), and the first few examples. */
function finding(examples, phaseOf) {
  const byPhase = {};
  for (const e of examples) {
    const phase = phaseOf(e);
    byPhase[phase] = (byPhase[phase] ?? 0) + 1;
  }
  return { count: examples.length, byPhase, samples: examples.slice(0, SAMPLES) };
}

const brief = (m) => ({ roomId: m.roomId, seq: m.seq, id: m.id, clientMsgId: m.clientMsgId, senderId: m.senderId });

/**
 * @param {object} p
 * @param {{roomId,seq,id,clientMsgId,senderId}[]} p.acks every ok ack the clients got (a resend's too)
 * @param {{client:number, roomId,seq,id}[]} p.liveDuplicates receiveMessage deliveries of an id the client already had live
 * @param {{roomId,seq,id}[]} p.seen every message a client was shown (live, resync or history paging)
 * @param {{roomId,seq,id,clientMsgId,senderId}[]} p.stored the run's documents read from MongoDB
 * @param {{roomId,seq,id,clientMsgId,senderId}[]} p.history the run's rooms read through the history API
 * @param {(clientMsgId: string|undefined) => string} p.phaseOf the phase of the run a message was first sent in
 */
export function tallyFaultRun({ acks, liveDuplicates, seen, stored, history, phaseOf }) {
  const storedByKey = groupBy(stored, keyOf);
  const storedById = groupBy(stored, (m) => m.id);
  const historyByKey = groupBy(history, keyOf);
  const historyById = groupBy(history, (m) => m.id);
  const ackedByKey = groupBy(acks, keyOf);

  // lost: acked, but no stored message has its key (in MongoDB, or through the history API).
  const lost = [];
  for (const [key, list] of ackedByKey) {
    if (!storedByKey.has(key) || !historyByKey.has(key)) {
      lost.push({ ...brief(list[0]), inMongo: storedByKey.has(key), inHistory: historyByKey.has(key) });
    }
  }
  // acked but unstored: an identity (id, seq) some ack carried that MongoDB does not hold —
  // lost, or stored under another id/seq than the sender (and the room) were shown.
  const ackedButUnstored = [];
  for (const [id, list] of groupBy(acks, (m) => m.id)) {
    const a = list[0];
    const s = storedById.get(id)?.[0];
    if (!s || s.roomId !== a.roomId || s.seq !== a.seq) {
      const sameKey = storedByKey.get(keyOf(a))?.[0];
      ackedButUnstored.push({ ...brief(a), storedAs: (s ?? sameKey) ? brief(s ?? sameKey) : null });
    }
  }
  // shown but unstored: a message some client was shown that MongoDB does not hold.
  const shownIds = new Map(seen.map((m) => [m.id, m]));
  const shownButUnstored = [...shownIds.values()].filter((m) => !storedById.has(m.id)).map(brief);

  // duplicated: a key stored twice, an id stored twice, an id twice in a room's history, or an
  // id delivered live twice to one client.
  const duplicated = [];
  for (const list of storedByKey.values())
    if (list.length > 1) duplicated.push({ where: 'mongo-key', ...brief(list[0]), copies: list.length });
  for (const list of storedById.values())
    if (list.length > 1) duplicated.push({ where: 'mongo-id', ...brief(list[0]), copies: list.length });
  for (const list of historyById.values())
    if (list.length > 1) duplicated.push({ where: 'history', ...brief(list[0]), copies: list.length });
  for (const d of liveDuplicates) duplicated.push({ where: 'live', client: d.client, ...brief(d) });

  // seq reused: one (roomId, seq) carrying two different ids anywhere.
  const bySlot = new Map(); // (roomId, seq) -> id -> clientMsgId
  for (const m of [...acks, ...seen, ...stored, ...history]) {
    const slot = slotOf(m);
    const ids = bySlot.get(slot) ?? bySlot.set(slot, new Map()).get(slot);
    ids.set(m.id, m.clientMsgId);
  }
  const seqReused = [];
  for (const [slot, ids] of bySlot) {
    if (ids.size > 1) {
      const [roomId, seq] = slot.split('\u0000');
      seqReused.push({ roomId, seq: Number(seq), ids: [...ids.keys()], clientMsgId: [...ids.values()][0] });
    }
  }
  // an idempotent resend must answer the original: one key, one identity
  const ackConflicts = [];
  for (const list of ackedByKey.values()) {
    const ids = new Set(list.map((a) => a.id));
    if (ids.size > 1) ackConflicts.push({ ...brief(list[0]), ids: [...ids] });
  }

  const found = (examples) => finding(examples, (e) => phaseOf(e.clientMsgId));
  return {
    acked: ackedByKey.size,
    stored: stored.length,
    storedViaHistory: history.length,
    lost: found(lost),
    duplicated: found(duplicated),
    seqReused: found(seqReused),
    ackedButUnstored: found(ackedButUnstored),
    shownButUnstored: found(shownButUnstored),
    ackConflicts: found(ackConflicts),
  };
}

/** The counts that must all be 0 for the run to pass. */
export const FAILING_COUNTS = [
  'lost',
  'duplicated',
  'seqReused',
  'ackedButUnstored',
  'shownButUnstored',
  'ackConflicts',
];

export function failures(tally) {
  return FAILING_COUNTS.filter((name) => tally[name].count > 0);
}

// The bench's lived-in dataset (issue 17): N messages in R rooms from U users, bulk-loaded
// straight into MongoDB (or FerretDB) in the documents' stored shape (message-service
// message-model.ts: `_id` = id, createdAt a Date; user-service users.ts), with the same
// indexes the services build. A marker document records the parameters; a database holding
// the marker of the same parameters is reused as it is.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MongoClient, ObjectId } from 'mongodb';

/*
 * message-service's collection names and seq-block key (src/seq-blocks.ts, src/membership-model.ts),
 * restated: the bench runs on plain Node, which cannot load the TypeScript sources, and must not
 * need a build to be tested. tools/test/seed-names.test.ts checks that they agree.
 */
export const SEQ_FLOOR_COLLECTION = 'room_seq_floors';
export const MIGRATION_COLLECTION = 'migrations';
export const SEQ_BLOCKS_MIGRATION = 'message-seq-blocks';
export const ATTACHMENT_IDS_MIGRATION = 'message-attachment-ids';
export const MEMBERSHIP_COLLECTION = 'memberships';
export const ROOM_COLLECTION = 'rooms';
export const seqBlockOf = (roomId, seq) => `${roomId}:${Math.floor(seq / 64)}`;

export const SEED_MARKER_COLLECTION = 'bench_seed';
/** Seeded public rooms are `seed-<r>` (contracts PUBLIC_ROOM_PATTERN). */
export const SEED_ROOM_PREFIX = 'seed';
/** The largest rooms hold this many messages: the history target is "rooms up to 10,000 messages". */
export const BIG_ROOM_MESSAGES = 10_000;
const BATCH = 5_000;
const IN_FLIGHT_BATCHES = 2;
/** A bcrypt hash (cost 10) of "seed-user-password": seeded users can log in, at no hashing cost here. */
const PASSWORD_HASH = '$2b$10$jJxUvop1L9H3ctzf6PU3HOcXqoeQvBJ1tTXtLrHoSMO612hiryVwq';
const DAY_MS = 86_400_000;
/** Raised when the stored shape changes, so an older seed is loaded again (3: seq blocks, floors, room states, memberships). */
const SEED_FORMAT = 3;
/** Seeded user 0 is a member of this many rooms (the room list target: a user in 200 rooms). */
export const LIST_USER_ROOMS = 200;
/** Every LIST_BEHIND_EVERY-th of them has unread messages (5 more in each such room than the last). */
const LIST_BEHIND_EVERY = 4;

/**
 * Messages per room: the first ceil(R/100) rooms (but no more than half of N allows) hold
 * BIG_ROOM_MESSAGES each, the rest of N is spread evenly over the other rooms — so the history
 * figures cover a 10,000-message room and typical ones of N/R.
 */
export function roomSizes({ messages, rooms }) {
  const big = Math.min(Math.ceil(rooms / 100), Math.floor(messages / 2 / BIG_ROOM_MESSAGES), rooms - 1);
  const rest = messages - big * BIG_ROOM_MESSAGES;
  const others = rooms - big;
  return Array.from({ length: rooms }, (_, r) =>
    r < big ? BIG_ROOM_MESSAGES : Math.floor(rest / others) + (r - big < rest % others ? 1 : 0),
  );
}

export const seedRoomId = (r) => `${SEED_ROOM_PREFIX}-${r}`;

/** A deterministic 24-hex user id for seeded user u. */
export const seedUserId = (u) => `5eed0000${u.toString(16).padStart(16, '0')}`;
const userId = seedUserId;
export const seedUsername = (u) => `seeduser${u}`;
export const SEED_PASSWORD = 'seed-user-password';

/**
 * Ensure database `dbName` at `mongoUrl` holds the seed of `params` ({messages, rooms, users}):
 * reused when its marker matches, else dropped and loaded. Resolves with what was done.
 */
export async function ensureSeed({ mongoUrl, dbName, params, log = () => undefined }) {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000, retryWrites: false });
  await client.connect();
  try {
    const db = client.db(dbName);
    const marker = await db.collection(SEED_MARKER_COLLECTION).findOne({ _id: 'marker' });
    const same =
      marker &&
      marker.format === SEED_FORMAT &&
      marker.messages === params.messages &&
      marker.rooms === params.rooms &&
      marker.users === params.users;
    if (same) {
      log(`seed: reusing ${dbName} (${marker.messages} messages in ${marker.rooms} rooms, ${marker.users} users)`);
      await markMigrated(db); // a seed loaded before a migration existed is migrated all the same
      return { reused: true, ...marker };
    }
    log(`seed: loading ${params.messages} messages in ${params.rooms} rooms, ${params.users} users into ${dbName}`);
    await db.dropDatabase();
    const t0 = performance.now();
    await loadUsers(db, params.users);
    const tUsers = performance.now();
    await loadMessages(db, params, log);
    const tMessages = performance.now();
    await createIndexes(db);
    const tIndexes = performance.now();
    const done = {
      _id: 'marker',
      format: SEED_FORMAT,
      ...params,
      roomSizes: summarize(roomSizes(params)),
      loadSeconds: {
        users: round((tUsers - t0) / 1000),
        messages: round((tMessages - tUsers) / 1000),
        indexes: round((tIndexes - tMessages) / 1000),
      },
      messagesPerSec: Math.round(params.messages / ((tMessages - tUsers) / 1000)),
      completedAt: new Date(),
    };
    // Written last: an interrupted load has no marker and is loaded again next time.
    await db.collection(SEED_MARKER_COLLECTION).insertOne(done);
    log(
      `seed: loaded in ${round((tIndexes - t0) / 1000)} s (${done.messagesPerSec} messages/s, indexes ${done.loadSeconds.indexes} s)`,
    );
    return { reused: false, ...done };
  } finally {
    await client.close();
  }
}

const round = (x) => Math.round(x * 10) / 10;
const summarize = (sizes) => ({ largest: Math.max(...sizes), smallest: Math.min(...sizes), rooms: sizes.length });

async function loadUsers(db, users) {
  const created = new Date(Date.now() - 365 * DAY_MS);
  const docs = Array.from({ length: users }, (_, u) => ({
    _id: new ObjectId(userId(u)),
    username: seedUsername(u),
    displayName: `Seed User ${u}`,
    passwordHash: PASSWORD_HASH,
    createdAt: created,
  }));
  for (let i = 0; i < docs.length; i += BATCH)
    await db.collection('users').insertMany(docs.slice(i, i + BATCH), { ordered: false });
}

/** Messages room by room in ascending seq, a few unordered batches in flight. */
async function loadMessages(db, params, log) {
  const sizes = roomSizes(params);
  const coll = db.collection('messages');
  const start = Date.now() - 30 * DAY_MS;
  const inFlight = new Set();
  let batch = [];
  let written = 0;
  let nextReport = 100_000;
  /** Each room's last message (every room holds at least one). */
  const lastOfRoom = [];
  const flush = async () => {
    const docs = batch;
    batch = [];
    const p = coll.insertMany(docs, { ordered: false }).then(() => {
      written += docs.length;
      if (written >= nextReport) {
        log(`seed: ${written} messages`);
        nextReport += 100_000;
      }
    });
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
    if (inFlight.size >= IN_FLIGHT_BATCHES) await Promise.race(inFlight);
  };
  for (let r = 0; r < sizes.length; r++) {
    const roomId = seedRoomId(r);
    const step = (30 * DAY_MS) / sizes[r];
    let doc;
    for (let seq = 1; seq <= sizes[r]; seq++) {
      const u = (r * 7 + seq) % params.users;
      const id = randomUUID();
      doc = {
        _id: id,
        id,
        roomId,
        seq,
        seqBlock: seqBlockOf(roomId, seq),
        senderId: userId(u),
        senderName: `Seed User ${u}`,
        text: `seeded message ${seq} of ${roomId}: the quick brown fox jumps over the lazy dog`,
        clientMsgId: `seed-${r}-${seq}`,
        createdAt: new Date(start + Math.floor(seq * step)),
      };
      batch.push(doc);
      if (batch.length >= BATCH) await flush();
    }
    lastOfRoom.push(doc);
  }
  if (batch.length > 0) await flush();
  await Promise.all(inFlight);
  // Every seeded room starts at seq 1, and every message carries its block: no backfill to run.
  await db.collection(SEQ_FLOOR_COLLECTION).insertMany(
    sizes.map((_, r) => ({ _id: seedRoomId(r), seq: 1 })),
    { ordered: false },
  );
  await markMigrated(db);
  await loadRoomStates(db, lastOfRoom);
  await loadMemberships(db, sizes, lastOfRoom);
}

/**
 * message-service's one-time backfills have nothing to do on a seed: every message carries its
 * block, and none carries attachments. Marked done, so none reads the whole seed in a run.
 */
async function markMigrated(db) {
  for (const _id of [SEQ_BLOCKS_MIGRATION, ATTACHMENT_IDS_MIGRATION])
    await db
      .collection(MIGRATION_COLLECTION)
      .updateOne({ _id }, { $set: { completedAt: new Date() } }, { upsert: true });
}

/** The consumer's room state (message-service membership-model.ts RoomDoc) from each room's last message. */
async function loadRoomStates(db, lastOfRoom) {
  const docs = lastOfRoom.map(({ _id, seqBlock: _seqBlock, ...message }) => ({
    _id: message.roomId,
    lastSeq: message.seq,
    lastMessage: { ...message, version: message.seq, createdAt: message.createdAt.toISOString() },
    lastMessageSeq: message.seq,
    lastMessageVersion: message.seq,
    lastAt: message.createdAt,
  }));
  for (let i = 0; i < docs.length; i += BATCH)
    await db.collection(ROOM_COLLECTION).insertMany(docs.slice(i, i + BATCH), { ordered: false });
}

/**
 * Seeded user 0 in the first LIST_USER_ROOMS rooms (largest first), read to the end except every
 * LIST_BEHIND_EVERY-th room, which has 5 to a few hundred unread: the room list's lived case.
 */
async function loadMemberships(db, sizes, lastOfRoom) {
  const user = userId(0);
  const joinedAt = new Date(Date.now() - 60 * DAY_MS);
  const docs = sizes.slice(0, LIST_USER_ROOMS).map((size, r) => ({
    _id: `${seedRoomId(r)}|${user}`,
    roomId: seedRoomId(r),
    userId: user,
    member: true,
    changedAt: joinedAt.getTime(),
    joinedAt,
    lastReadSeq: r % LIST_BEHIND_EVERY === 0 ? Math.max(0, size - 5 - r) : lastOfRoom[r].seq,
    displayName: 'Seed User 0',
  }));
  await db.collection(MEMBERSHIP_COLLECTION).insertMany(docs, { ordered: false });
}

/** The indexes message-service and user-service build (same keys, options and names), built once after the load. */
async function createIndexes(db) {
  await db.collection('messages').createIndexes([
    { key: { roomId: 1, senderId: 1, clientMsgId: 1 }, name: 'roomId_1_senderId_1_clientMsgId_1', unique: true },
    { key: { roomId: 1, seq: 1 }, name: 'roomId_1_seq_1_unique', unique: true },
    { key: { seqBlock: 1 }, name: 'seqBlock_1' },
  ]);
  await db.collection('users').createIndex({ username: 1 }, { name: 'username_1', unique: true });
}

/**
 * Delete every message, seq floor, room state and membership of `roomIds` from `dbName` (what
 * bench runs added to the seeded dataset; a room state left behind would lengthen FerretDB's scan
 * of `rooms` in every later run), one equality delete per room (FerretDB pushes equality down,
 * not `$in`). Resolves with the number of messages deleted.
 */
export async function deleteRooms({ mongoUrl, dbName, roomIds }) {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000, retryWrites: false });
  await client.connect();
  try {
    const db = client.db(dbName);
    const messages = db.collection('messages');
    const floors = db.collection(SEQ_FLOOR_COLLECTION);
    let deleted = 0;
    for (const roomId of roomIds) {
      deleted += (await messages.deleteMany({ roomId })).deletedCount;
      await floors.deleteOne({ _id: roomId });
      await db.collection(ROOM_COLLECTION).deleteOne({ _id: roomId });
      await db.collection(MEMBERSHIP_COLLECTION).deleteMany({ roomId });
    }
    return deleted;
  } finally {
    await client.close();
  }
}

/** collStats of the messages collection: documents, data and index bytes, and bytes per message. */
export async function messageStorage({ mongoUrl, dbName }) {
  const client = new MongoClient(mongoUrl, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  try {
    const s = await client.db(dbName).command({ collStats: 'messages' });
    const perMessage = (b) => (s.count ? Math.round(b / s.count) : null);
    return {
      count: s.count,
      sizeBytes: s.size,
      storageBytes: s.storageSize,
      indexBytes: s.totalIndexSize,
      bytesPerMessage: {
        data: perMessage(s.size),
        storage: perMessage(s.storageSize),
        indexes: perMessage(s.totalIndexSize),
      },
    };
  } finally {
    await client.close();
  }
}

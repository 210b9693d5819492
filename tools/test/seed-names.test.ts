import { describe, expect, it } from 'vitest';
import { MEMBERSHIP_COLLECTION, ROOM_COLLECTION } from '../../message-service/src/membership-model.js';
import { ATTACHMENT_IDS_MIGRATION } from '../../message-service/src/file-access.js';
import { MIGRATION_COLLECTION } from '../../message-service/src/migrations.js';
import * as service from '../../message-service/src/seq-blocks.js';
import * as seed from '../lib/bench/seed.js';

// The bench seeder restates message-service's storage names and block key (plain Node cannot
// load the TypeScript sources): a seed the service cannot read would pass every bench silently.
describe('the bench seed writes what message-service reads', () => {
  it('uses the same collection and migration names', () => {
    expect({
      floors: seed.SEQ_FLOOR_COLLECTION,
      migrations: seed.MIGRATION_COLLECTION,
      migration: seed.SEQ_BLOCKS_MIGRATION,
      attachmentIdsMigration: seed.ATTACHMENT_IDS_MIGRATION,
      memberships: seed.MEMBERSHIP_COLLECTION,
      rooms: seed.ROOM_COLLECTION,
    }).toEqual({
      floors: service.SEQ_FLOOR_COLLECTION,
      migrations: MIGRATION_COLLECTION,
      migration: service.SEQ_BLOCKS_MIGRATION,
      attachmentIdsMigration: ATTACHMENT_IDS_MIGRATION,
      memberships: MEMBERSHIP_COLLECTION,
      rooms: ROOM_COLLECTION,
    });
  });

  it('keys a message to the same seq block', () => {
    for (const [roomId, seq] of [
      ['seed-0', 1],
      ['seed-7', 63],
      ['seed-7', 64],
      ['dm:a:b', 177_000_000_000_013],
    ] as const)
      expect(seed.seqBlockOf(roomId, seq)).toBe(service.seqBlockOf(roomId, seq));
  });
});

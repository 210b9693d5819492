import { Schema, type Connection, type Model } from 'mongoose';

/** One-time data migrations that finished, one document each: `_id` names it. */
export const MIGRATION_COLLECTION = 'migrations';

interface MigrationDoc {
  _id: string;
  completedAt: Date;
}

const migrationSchema = new Schema<MigrationDoc>(
  { _id: { type: String }, completedAt: { type: Date, required: true } },
  { versionKey: false, bufferCommands: false },
);

const migrationModel = (conn: Connection): Model<MigrationDoc> =>
  (conn.models.Migration as Model<MigrationDoc> | undefined) ??
  conn.model<MigrationDoc>('Migration', migrationSchema, MIGRATION_COLLECTION);

/** Whether migration `name` finished on this database. */
export async function migrated(conn: Connection, name: string): Promise<boolean> {
  return (await migrationModel(conn).exists({ _id: name })) !== null;
}

/** Records that migration `name` finished. */
export async function markMigrated(conn: Connection, name: string): Promise<void> {
  await migrationModel(conn).updateOne({ _id: name }, { $set: { completedAt: new Date() } }, { upsert: true });
}

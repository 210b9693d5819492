export interface SeedParams {
  messages: number;
  rooms: number;
  users: number;
}
export const SEQ_FLOOR_COLLECTION: string;
export const MIGRATION_COLLECTION: string;
export const SEQ_BLOCKS_MIGRATION: string;
export const ATTACHMENT_IDS_MIGRATION: string;
export const MEMBERSHIP_COLLECTION: string;
export const ROOM_COLLECTION: string;
export function seqBlockOf(roomId: string, seq: number): string;
export const SEED_MARKER_COLLECTION: string;
export const SEED_ROOM_PREFIX: string;
export const BIG_ROOM_MESSAGES: number;
export function roomSizes(params: Pick<SeedParams, 'messages' | 'rooms'>): number[];
export function seedRoomId(r: number): string;
export function ensureSeed(opts: {
  mongoUrl: string;
  dbName: string;
  params: SeedParams;
  log?: (message: string) => void;
}): Promise<Record<string, unknown> & { reused: boolean }>;
export function deleteRooms(opts: { mongoUrl: string; dbName: string; roomIds: string[] }): Promise<number>;
export function messageStorage(opts: { mongoUrl: string; dbName: string }): Promise<Record<string, unknown>>;

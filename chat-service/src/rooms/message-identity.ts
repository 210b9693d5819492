import { hash } from 'node:crypto';

/** Fixed namespace of chat message ids (a random UUID, chosen once; never change it). */
const MESSAGE_ID_NAMESPACE = Buffer.from('6f1c2a9e8b3d4e57a0c4d2f1e9b87a35', 'hex');

/**
 * The message id of a send: a UUIDv5 (RFC 4122 name-based, SHA-1) of (roomId, senderId,
 * clientMsgId). A resend can never mint a new identity, even after its dedupe record is
 * gone, so the message stored (unique on that triple) is always the one the ack named.
 */
export function messageIdFor(roomId: string, senderId: string, clientMsgId: string): string {
  // JSON keeps the three parts apart whatever characters they hold.
  // One-shot hash(): a third of createHash()'s cost on inputs this short (no Hash object).
  const name = Buffer.from(JSON.stringify([roomId, senderId, clientMsgId]));
  const bytes = hash('sha1', Buffer.concat([MESSAGE_ID_NAMESPACE, name]), 'buffer').subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A short digest of a message text (72 bits): tells a resend from a clientMsgId reused for other text. */
export function textHash(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 12);
}

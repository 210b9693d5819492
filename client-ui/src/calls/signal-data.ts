import { z } from 'zod';

/** Candidates are batched into one `ice` signal (the server rate-limits signals per user). */
export const MAX_CANDIDATES_PER_SIGNAL = 40;

/** What each call signal carries in `data` (the server relays it unread): checked on arrival. */
export const ringDataSchema = z.object({ media: z.enum(['audio', 'video']) });
export const sdpDataSchema = z.object({
  sdp: z.object({ type: z.enum(['offer', 'answer']), sdp: z.string().max(15_000) }),
});
export const iceDataSchema = z.object({
  candidates: z
    .array(
      z.object({
        candidate: z.string().max(1000),
        sdpMid: z.string().max(64).nullable().optional(),
        sdpMLineIndex: z.number().int().nonnegative().nullable().optional(),
        usernameFragment: z.string().max(256).nullable().optional(),
      }),
    )
    .max(MAX_CANDIDATES_PER_SIGNAL),
});
/** Why a call ended, sent with `hangup`/`decline`. */
export const endDataSchema = z.object({ reason: z.enum(['missed', 'busy', 'hangup', 'failed']) }).partial();

export type CallMedia = z.infer<typeof ringDataSchema>['media'];
export type EndReason = NonNullable<z.infer<typeof endDataSchema>['reason']>;

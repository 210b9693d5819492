import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The consumer's state at scrape time (none while it is not running). */
export type PersistHealthProbe = () => { oldestPendingMs: number; stuck: boolean } | null;

/** message-service's own series, on the service's registry. */
export function createMessageServiceMetrics(registry: Registry, persistHealth: PersistHealthProbe = () => null) {
  const registers = [registry];
  return {
    cacheHits: new Counter({ name: 'history_cache_hits_total', help: 'History pages served from Redis', registers }),
    cacheMisses: new Counter({
      name: 'history_cache_misses_total',
      help: 'History pages read from MongoDB and cached',
      registers,
    }),
    cacheFallbacks: new Counter({
      name: 'history_cache_fallbacks_total',
      help: 'History pages served from MongoDB because Redis failed or timed out',
      registers,
    }),
    historyQueries: new Counter({
      name: 'history_mongo_queries_total',
      help: 'History page queries sent to MongoDB (after single-flight)',
      registers,
    }),
    historyLatency: new Histogram({
      name: 'history_request_duration_seconds',
      help: 'History request duration by where the page came from',
      labelNames: ['source'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    searchLatency: new Histogram({
      name: 'search_request_duration_seconds',
      help: 'Search duration, by whether the time bound cut the scan short',
      labelNames: ['partial'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5],
      registers,
    }),
    batches: new Counter({ name: 'persist_batches_total', help: 'Batches written to MongoDB', registers }),
    batchSize: new Histogram({
      name: 'persist_batch_size',
      help: 'Messages per batch written to MongoDB',
      buckets: [1, 5, 10, 25, 50, 100, 200, 500, 1000],
      registers,
    }),
    batchWriteSeconds: new Histogram({
      name: 'persist_batch_write_duration_seconds',
      help: 'Duration of one successful insertMany',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    writeRetries: new Counter({
      name: 'persist_write_retries_total',
      help: 'Batch writes retried because MongoDB was unavailable',
      registers,
    }),
    stored: new Counter({ name: 'persist_messages_stored_total', help: 'Messages newly stored', registers }),
    movedToNewerSeq: new Counter({
      name: 'persist_moved_to_newer_seq_total',
      help: 'Stored messages moved to the newer seq a resend of them was acked with (dedupe record lost)',
      registers,
    }),
    persistLagSeconds: new Histogram({
      name: 'persist_lag_seconds',
      help: "From a message's createdAt (set just before its ack) to its batch being stored and acked",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers,
    }),
    duplicates: new Counter({
      name: 'persist_duplicates_total',
      help: 'Messages already stored (redelivery, client retry), acked as success',
      registers,
    }),
    batchSplits: new Counter({
      name: 'persist_batch_splits_total',
      help: 'Writes refused as a whole for a reason other than an outage, halved to isolate the document at fault',
      registers,
    }),
    seqConflicts: new Counter({
      name: 'persist_seq_conflicts_total',
      help: 'Messages dead-lettered because another message holds their (roomId, seq): seq reuse upstream',
      registers,
    }),
    clientMsgIdConflicts: new Counter({
      name: 'persist_client_msg_id_conflicts_total',
      help: 'Resends whose (roomId, senderId, clientMsgId) is stored under another id (acked; the original is kept)',
      registers,
    }),
    oldestPending: new Gauge({
      name: 'persist_oldest_pending_seconds',
      help: 'Age of the oldest delivery the consumer holds unacked (0 when none)',
      registers,
      collect() {
        this.set((persistHealth()?.oldestPendingMs ?? 0) / 1000);
      },
    }),
    stuck: new Gauge({
      name: 'persist_consumer_stuck',
      help: '1 while a delivery has been unacked for longer than PERSIST_STUCK_AFTER_SEC',
      registers,
      collect() {
        this.set(persistHealth()?.stuck ? 1 : 0);
      },
    }),
    readsLimited: new Counter({
      name: 'read_rate_limited_total',
      help: 'Reads answered 429 by the per-user read limit',
      registers,
    }),
    readLimiterFailures: new Counter({
      name: 'read_rate_limiter_failures_total',
      help: 'Reads let through unchecked because Redis failed or was slow (the limiter fails open)',
      registers,
    }),
    uploads: new Counter({
      name: 'file_uploads_total',
      help: 'POST /files by outcome (stored, too_large, invalid, limited, failed)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    uploadBytes: new Counter({ name: 'file_upload_bytes_total', help: 'Bytes of stored uploads', registers }),
    uploadsLimited: new Counter({
      name: 'file_upload_rate_limited_total',
      help: 'Uploads refused by the per-user upload limit',
      registers,
    }),
    uploadLimiterFailures: new Counter({
      name: 'file_upload_rate_limiter_failures_total',
      help: 'Uploads let through unlimited because the limiter could not reach Redis',
      registers,
    }),
    filesSwept: new Counter({
      name: 'files_swept_total',
      help: 'Uploads removed: unattached past their age, or no longer carried by any message (deleted)',
      labelNames: ['reason'] as const,
      registers,
    }),
    deadLettered: new Counter({
      name: 'persist_dead_lettered_total',
      help: 'Messages sent to the DLQ, by reason',
      labelNames: ['reason'],
      registers,
    }),
    memberEventsApplied: new Counter({
      name: 'persist_member_events_total',
      help: 'Membership and read-marker events written (or found outdated) and acked, by type',
      labelNames: ['type'],
      registers,
    }),
    roomStateFailures: new Counter({
      name: 'persist_room_state_failures_total',
      help: 'Batches whose room-list state could not be recorded for a reason other than an outage',
      registers,
    }),
    roomListLatency: new Histogram({
      name: 'room_list_request_duration_seconds',
      help: 'GET /messages/rooms, from the token check to the answer',
      registers,
    }),
    roomListCounts: new Counter({
      name: 'room_list_counts_total',
      help: 'Unread counts of rooms behind their marker in room lists, by source (cache, mongo)',
      labelNames: ['source'],
      registers,
    }),
    roomListStates: new Counter({
      name: 'room_list_states_total',
      help: 'Room states read by room lists, by source (redis, mongo: missing in Redis, or Redis failing)',
      labelNames: ['source'],
      registers,
    }),
    memberNameFailures: new Counter({
      name: 'member_name_lookup_failures_total',
      help: 'Members lists served with ids for names because user-service did not answer',
      registers,
    }),
    presenceFailures: new Counter({
      name: 'member_presence_failures_total',
      help: 'Members lists served all offline because Redis did not answer',
      registers,
    }),
  };
}

export type MessageServiceMetrics = ReturnType<typeof createMessageServiceMetrics>;

import { Counter, Histogram, type Registry } from 'prom-client';

/** message-service's own series, on the service's registry. */
export function createMessageServiceMetrics(registry: Registry) {
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
    duplicates: new Counter({
      name: 'persist_duplicates_total',
      help: 'Messages already stored (redelivery, client retry), acked as success',
      registers,
    }),
    deadLettered: new Counter({
      name: 'persist_dead_lettered_total',
      help: 'Messages sent to the DLQ, by reason',
      labelNames: ['reason'],
      registers,
    }),
  };
}

export type MessageServiceMetrics = ReturnType<typeof createMessageServiceMetrics>;

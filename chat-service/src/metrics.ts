import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What /metrics says about the socket side; sends and room events are counted by outcome (`accepted`, `duplicate`, `edit`, `delete`, `reaction`, error codes). */
export interface ChatMetrics {
  connectedSockets: Gauge;
  sends: Counter<'outcome'>;
  confirmSeconds: Histogram;
  broadcasts: Counter;
  /** Refusals by limit: `join_rate`, `read_rate`, `pending_events`, `sockets_per_user`. */
  limited: Counter<'limit'>;
  /** Sockets this node ended itself: `token_expired`, `output_overflow`. */
  forcedDisconnects: Counter<'reason'>;
  /** From a client event's arrival to its ack, by event: what a user waits for (a sample, socket/ack.ts). */
  ackSeconds: Histogram<'event'>;
}

export function createChatMetrics(registry: Registry): ChatMetrics {
  return {
    connectedSockets: new Gauge({
      name: 'chat_connected_sockets',
      help: 'Sockets connected to this node',
      registers: [registry],
    }),
    sends: new Counter({
      name: 'chat_sends_total',
      help: 'sendMessage requests by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    confirmSeconds: new Histogram({
      name: 'chat_publish_confirm_seconds',
      help: 'Time from publish to RabbitMQ confirm',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    broadcasts: new Counter({
      name: 'chat_broadcasts_total',
      help: 'receiveMessage broadcasts emitted by this node',
      registers: [registry],
    }),
    limited: new Counter({
      name: 'chat_limited_total',
      help: 'Socket events and connections refused RATE_LIMITED, by limit',
      labelNames: ['limit'],
      registers: [registry],
    }),
    forcedDisconnects: new Counter({
      name: 'chat_forced_disconnects_total',
      help: 'Sockets disconnected by this node, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'chat_event_ack_seconds',
      help: 'Time from a client event arriving to its ack, by event (one event in 8 of each kind)',
      labelNames: ['event'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

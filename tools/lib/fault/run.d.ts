import type { FaultTally } from './tally.js';

export interface FaultRunReport extends FaultTally {
  tool: 'fault-run';
  runId: string;
  seconds: number;
  load: {
    clients: number;
    rooms: number;
    rate: number;
    sent: number;
    sendSeconds: number;
    attempts: number;
    retries: number;
    errorAnswers: Record<string, number>;
    refused: Record<string, number>;
    unackedAtEnd: number;
    reconnects: number;
    resyncErrors: number;
    notShownLive: number;
    notShownAfterResync: number;
  };
  faults: { name: string; atSecond: number; seconds: number; closed?: number }[];
  deadLettered: number | null;
  failed: string[];
}

export function runFaults(o: {
  root: string;
  testing: typeof import('@chat/testing');
  mongoUrl: string;
  rate: number;
  clients: number;
  rooms: number;
  roomsPerClient: number;
  pauseMs: number;
  downMs: number;
  drainMs: number;
  log: (line: string) => void;
  onStack: (stack: object) => void;
  faults?: string[];
  entry?: 'dist' | 'src';
  broker?: { amqpUrl: string; vhost: string; management: import('@chat/testing').RabbitManagement };
}): Promise<FaultRunReport>;

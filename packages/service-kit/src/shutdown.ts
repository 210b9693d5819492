import type { Logger } from './logger.js';

type Step = { name: string; run: () => Promise<void> | void };

/**
 * Ordered graceful shutdown. Steps run in the order they were added (add "stop accepting"
 * first, "close connections" last), each awaited; the whole run is bounded by `timeoutMs`,
 * after which the process exits anyway. `isShuttingDown` lets draining nodes stop
 * reporting ready and avoid flapping presence.
 */
export class ShutdownRegistry {
  private readonly steps: Step[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly log: Logger,
    private readonly timeoutMs: number,
  ) {}

  get isShuttingDown(): boolean {
    return this.running !== null;
  }

  add(name: string, run: Step['run']): this {
    this.steps.push({ name, run });
    return this;
  }

  /** Run every step once, in order; later calls return the same promise. */
  run(reason: string): Promise<void> {
    this.running ??= this.runSteps(reason);
    return this.running;
  }

  private async runSteps(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutdown started');
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
      timer.unref();
    });
    const all = (async () => {
      for (const step of this.steps) {
        try {
          await step.run();
          this.log.debug({ step: step.name }, 'shutdown step done');
        } catch (err) {
          this.log.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
    })();
    const outcome = await Promise.race([all.then(() => 'done' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log.warn({ timeoutMs: this.timeoutMs }, 'shutdown timed out; exiting anyway');
    } else {
      this.log.info({ ms: Date.now() - started }, 'shutdown complete');
    }
  }

  /** Run on SIGTERM/SIGINT, then exit; a second signal exits at once. */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.isShuttingDown) {
        this.log.warn({ signal }, 'second signal; exiting now');
        exit(1);
        return;
      }
      void this.run(signal).then(() => exit(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}

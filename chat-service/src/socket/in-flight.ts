/** Counts running work so shutdown can wait for it (in-flight sends, background retries). */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  async track<T>(work: Promise<T>): Promise<T> {
    this.count++;
    try {
      return await work;
    } finally {
      if (--this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** True once idle, false if `ms` pass first (shutdown must not hang on a dead dependency). */
  idleWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    return Promise.race([this.idle().then(() => true), timeout]).finally(() => clearTimeout(timer));
  }
}

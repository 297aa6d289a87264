/** A level-less wake-up: everyone waiting when `notify` is called resumes. */
export class Signal {
  private waiters: Array<() => void> = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  wait(): { promise: Promise<void>; cancel: () => void } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.waiters.push(resolve);
    return { promise, cancel: () => (this.waiters = this.waiters.filter((w) => w !== resolve)) };
  }
}

/** Resolves on the first signal or after `timeoutMs`, leaving no dangling waiters behind. */
export async function waitForSignal(signals: readonly Signal[], timeoutMs: number): Promise<void> {
  const waits = signals.map((s) => s.wait());
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([timeout, ...waits.map((w) => w.promise)]);
  clearTimeout(timer);
  for (const w of waits) w.cancel();
}

/**
 * Group commit: writes submitted in the same turn of the event loop are
 * committed together by one call of `commit` (one SQLite transaction, so one
 * fsync). better-sqlite3 runs on the main thread, so an fsync per request
 * made a burst of 32 writes hold the event loop for 32 fsyncs in a row; now
 * it is one. `commit` gets the items in submission order and returns one
 * outcome per item, so one refused item does not fail the others; if it
 * throws, every item of the group fails with that error.
 */
export type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

export function groupCommit<I, R>(commit: (items: readonly I[]) => readonly Outcome<R>[]): (item: I) => Promise<R> {
  let pending: { item: I; resolve: (value: R) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const group = pending;
    pending = [];
    let outcomes: readonly Outcome<R>[];
    try {
      outcomes = commit(group.map((p) => p.item));
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    group.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    });
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      // The first write of a turn schedules the commit; the rest of the turn joins it.
      if (pending.length === 0) setImmediate(flush);
      pending.push({ item, resolve, reject });
    });
}

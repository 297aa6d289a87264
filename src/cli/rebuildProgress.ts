import type { ReadModelLag } from "../readModels/projectionRunner.js";
import { startProgress } from "./progress.js";

/**
 * `memledger read-model rebuild` with progress: the rebuild call blocks until
 * the new generation is switched in, so while it runs the read-model lag (the
 * same call in-process and over REST, GET /read-models) is asked for the new
 * generation's `rebuild.eventsFolded` of `eventsToFold`, and drawn.
 */

interface RebuildingLedger {
  readonly readModels: {
    rebuild(name: string): Promise<{ events: number; seconds: number }>;
    lag(): Promise<readonly ReadModelLag[]>;
  };
}

export async function rebuildWithProgress(
  ledger: RebuildingLedger,
  name: string,
  options: { readonly err: (s: string) => void; readonly interactive?: boolean; readonly pollMs?: number },
): Promise<{ events: number; seconds: number }> {
  const progress = startProgress("rebuild", { err: options.err, unit: "events", ...(options.interactive !== undefined ? { interactive: options.interactive } : {}) });
  let finished = false;
  const rebuild = ledger.readModels.rebuild(name).finally(() => {
    finished = true;
  });
  const poll = (async () => {
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
      if (finished) break;
      const lag = await ledger.readModels.lag().catch(() => undefined);
      const mine = lag?.find((l) => l.name === name);
      if (mine?.rebuild) progress.update(mine.rebuild.eventsFolded, mine.rebuild.eventsToFold, name);
    }
  })();
  try {
    const result = await rebuild;
    progress.update(result.events, result.events, name);
    return result;
  } finally {
    await poll;
    progress.stop();
  }
}

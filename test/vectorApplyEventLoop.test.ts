import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { hashingEmbedder } from "../src/readModels/vector.contract.js";
import { openSqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";

// Real engines: SQLite and hnswlib-node (HNSW, 384 dimensions like the default model).
const points = 4_000;
/** Before the fix the whole batch went into the index in one turn: seconds for this many points. */
const maxTimerGapMs = 300;

describe("vector read model: a large batch does not hold the event loop", () => {
  it(`hardening #11: applying ${points} new vectors lets a 10 ms timer run at least every ${maxTimerGapMs} ms, and the checkpoint moves only once they are searchable`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-vector-loop-"));
    const store = openSqliteVectorStore(join(dir, "vector-1.db"), hashingEmbedder({ dimensions: 384 }));
    try {
      const log = projectionEventLog();
      const words = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn", "violin", "harbour", "meadow", "lantern"];
      const batch = Array.from({ length: points }, (_, i) => log.created(`m${i}`, contentOf(`${words[i % 12]} ${words[(i * 5) % 12]} ${words[(i * 7) % 11]} note ${i} ${i * 31}`)));
      await store.prepare?.(batch);
      let largestGap = 0;
      let last = performance.now();
      const checkpointsSeen = new Set<number>();
      const ticker = setInterval(() => {
        const now = performance.now();
        largestGap = Math.max(largestGap, now - last);
        last = now;
        checkpointsSeen.add(store.checkpoint());
      }, 10);
      try {
        await store.apply(batch);
      } finally {
        clearInterval(ticker);
      }
      largestGap = Math.max(largestGap, performance.now() - last);
      expect(store.size).toBe(points);
      expect(store.checkpoint()).toBe(batch.at(-1)!.envelope.position);
      expect(largestGap).toBeLessThan(maxTimerGapMs);
      expect([...checkpointsSeen]).toEqual([0]); // while indexing, readers were told the batch was not there yet
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

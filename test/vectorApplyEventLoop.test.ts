import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { hashingEmbedder } from "../src/readModels/vector.contract.js";
import { openSqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";

// Real engines: SQLite and hnswlib-node (HNSW, 384 dimensions like the default model).
const points = 4_000;
/** Before hardening #11 the whole batch went into the index in one turn: seconds for this many points. */
const maxTimerGapMs = 300;

describe("vector read model: a large batch does not hold the event loop", () => {
  it(`hardening #11 / issue 17: applying ${points} new vectors moves the checkpoint at once, every one is searchable at once, and while HNSW catches up in the background a 10 ms timer runs at least every ${maxTimerGapMs} ms`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-vector-loop-"));
    const embedder = hashingEmbedder({ dimensions: 384 });
    const store = openSqliteVectorStore(join(dir, "vector-1.db"), embedder);
    try {
      const log = projectionEventLog();
      const words = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn", "violin", "harbour", "meadow", "lantern"];
      const textOf = (i: number) => `${words[i % 12]} ${words[(i * 5) % 12]} ${words[(i * 7) % 11]} note ${i} ${i * 31}`;
      const batch = Array.from({ length: points }, (_, i) => log.created(`m${i}`, contentOf(textOf(i))));
      await store.prepare?.(batch);
      let largestGap = 0;
      let last = performance.now();
      const ticker = setInterval(() => {
        const now = performance.now();
        largestGap = Math.max(largestGap, now - last);
        last = now;
      }, 10);
      try {
        await store.apply(batch);
        // Staged, not yet in the graph: the checkpoint has moved and each vector is found, by the exact scan of the staged points.
        expect(store.checkpoint()).toBe(batch.at(-1)!.envelope.position);
        expect(store.size).toBe(points);
        expect(store.indexBuild.pendingInserts).toBeGreaterThan(points / 2);
        for (const i of [0, 1_234, points - 1]) {
          const [query] = await embedder.embed([textOf(i)]);
          expect((await store.search(query!, 1))[0]?.label).toBe(batch[i]!.envelope.position);
        }
        await store.whenIndexed();
      } finally {
        clearInterval(ticker);
      }
      largestGap = Math.max(largestGap, performance.now() - last);
      expect(store.indexBuild).toMatchObject({ pointsInserted: points, pendingInserts: 0 });
      expect(largestGap).toBeLessThan(maxTimerGapMs);
      const [query] = await embedder.embed([textOf(2_345)]);
      expect((await store.search(query!, 1))[0]?.label).toBe(batch[2_345]!.envelope.position);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

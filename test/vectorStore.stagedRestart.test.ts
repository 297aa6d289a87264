import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { hashingEmbedder } from "../src/readModels/vector.contract.js";
import { openSqliteVectorStore, type SqliteVectorStore } from "../src/readModels/vector/sqliteVectorStore.js";

// Real engines: SQLite and hnswlib-node. Issue 17: a large batch is staged (searchable by an exact
// scan) and goes into the HNSW graph in the background; the saved graph covers what went in.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const points = 3_000;
const words = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn", "violin", "harbour", "meadow", "lantern"];
const textOf = (i: number) => `${words[i % 12]} ${words[(i * 5) % 12]} ${words[(i * 7) % 11]} entry ${i} ${i * 17}`;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("vector read model: staged points across a restart", () => {
  it("closing while the graph is still being filled saves what went in; the reopened store stages the rest, finds every point at once, and finishes the graph", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-vector-staged-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const embedder = hashingEmbedder({ dimensions: 384 });
    const file = join(dir, "vector-1.db");
    const log = projectionEventLog();
    const batch = Array.from({ length: points }, (_, i) => log.created(`m${i}`, contentOf(textOf(i))));

    const first: SqliteVectorStore = openSqliteVectorStore(file, embedder);
    cleanups.push(() => first.close());
    await first.prepare?.(batch);
    await first.apply(batch);
    while (first.indexBuild.pointsInserted < 400) await nextTurn();
    const insertedBeforeClose = first.indexBuild.pointsInserted;
    expect(first.indexBuild.pendingInserts).toBe(points - insertedBeforeClose);
    first.close();

    const reopened = openSqliteVectorStore(file, embedder);
    cleanups.push(() => reopened.close());
    expect(reopened.checkpoint()).toBe(batch.at(-1)!.envelope.position);
    expect(reopened.size).toBe(points);
    // The saved graph held the first points; only the rest are staged again.
    expect(reopened.indexBuild.pendingInserts).toBe(points - insertedBeforeClose);
    const probes = [0, insertedBeforeClose - 1, insertedBeforeClose, 2_222, points - 1];
    const expectEveryProbeFound = async () => {
      for (const i of probes) {
        const [query] = await embedder.embed([textOf(i)]);
        expect((await reopened.search(query!, 1))[0]?.label).toBe(batch[i]!.envelope.position);
      }
    };
    await expectEveryProbeFound();
    await reopened.whenIndexed();
    expect(reopened.indexBuild).toMatchObject({ pointsInserted: points - insertedBeforeClose, pendingInserts: 0 });
    await expectEveryProbeFound();
  }, 120_000);
});

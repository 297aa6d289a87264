/**
 * Writes a golden corpus of stored events for the current schema versions.
 * Run once per schema change (`npx vitest run test/golden/generateCorpus.test.ts` with
 * GENERATE_GOLDEN=1) and commit the JSON; the corpus is never regenerated for an
 * existing version, so old events keep being replayed by the current code.
 */
import Database from "better-sqlite3";
import { Effect } from "effect";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "vitest";
import { openMemLedger } from "../../src/app/memLedger.js";
import { ManualClock } from "../../src/clock/clock.js";
import { openSqliteEventStore } from "../../src/eventStore/sqliteEventStore.js";
import { sequentialIds } from "../../src/ids/idGenerator.js";

/** Every stored event of a data directory plus the keys that open them, as a corpus file beside this test. */
async function writeCorpus(dataDir: string, file: string, generatedWith: string): Promise<void> {
  const store = openSqliteEventStore({ path: join(dataDir, "events.db") });
  const events = Effect.runSync(store.readAll({ maxCount: 10_000 }));
  await Effect.runPromise(store.close());
  const keysDb = new Database(join(dataDir, "keys", "keys.db"), { readonly: true });
  const keys = keysDb.prepare<[], { key_id: string; material: Buffer }>("SELECT key_id, material FROM data_keys").all();
  keysDb.close();
  const corpus = { schema: "memledger stored events", generatedWith, keys: Object.fromEntries(keys.map((k) => [k.key_id, k.material.toString("base64")])), events };
  writeFileSync(join(import.meta.dirname, file), `${JSON.stringify(corpus, null, 1)}\n`);
}

it.runIf(process.env.GENERATE_GOLDEN === "1")("generates the v1 golden corpus", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "memledger-golden-"));
  const clock = new ManualClock(new Date("2026-01-01T00:00:00.000Z"));
  const ledger = await openMemLedger({ dataDir, clock, ids: sequentialIds("g"), defaultContext: { tenantId: "golden", actor: "user:golden" } });
  await ledger.cubes.create({ cubeId: "golden", name: "Golden", owner: { kind: "user", id: "ann" } });
  const a = await ledger.memories.create({ cubeId: "golden", text: "Ann likes tea", userId: "ann", key: "tea", tags: ["drinks"], sources: [{ kind: "message", ref: "D1:3" }], metadata: { lang: "en" } });
  clock.advance(1000);
  await ledger.memories.edit(a.memoryId, { content: { text: "Ann likes jasmine tea" }, attributes: { confidence: 0.9 } });
  const b = await ledger.memories.create({ cubeId: "golden", text: "Ann drinks tea daily", userId: "ann" });
  await ledger.memories.archive(b.memoryId);
  await ledger.memories.restore(b.memoryId);
  await ledger.memories.merge(a.memoryId, b.memoryId);
  await ledger.memories.revert(a.memoryId, 2);
  await ledger.memories.freeze(b.memoryId, "legal_hold", "case 1");
  const c = await ledger.memories.create({ cubeId: "golden", text: "to be erased", userId: "zed", activate: false });
  await ledger.memories.erase(c.memoryId);
  await ledger.close();
  await writeCorpus(dataDir, "events-v1.json", "memledger 0.1.0");
});

/** The events added after v1 was frozen (still schema version 1), in their own corpus so events-v1.json stays untouched. */
it.runIf(process.env.GENERATE_GOLDEN === "1")("generates the v1 processing-failure corpus", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "memledger-golden-"));
  const clock = new ManualClock(new Date("2026-01-02T00:00:00.000Z"));
  let failures = 0;
  const ledger = await openMemLedger({
    dataDir,
    clock,
    ids: sequentialIds("p"),
    defaultContext: { tenantId: "golden", actor: "user:golden" },
    jobBus: { kind: "sqlite", retryPolicy: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 }, pollIntervalMs: 10 },
    ingestionSteps: [
      {
        name: "embed",
        run: async () => {
          if (failures++ < 1) throw new Error("embedder unavailable");
        },
      },
    ],
  });
  await ledger.cubes.create({ cubeId: "golden", name: "Golden", owner: { kind: "user", id: "ann" } });
  const added = await ledger.memories.add("golden", { mode: "async", memories: [{ text: "Ann plays the cello", userId: "ann" }] });
  if (added.mode !== "async") throw new Error("expected async");
  await ledger.jobs.wait(added.job.jobId, 10_000);
  await ledger.close();
  await writeCorpus(dataDir, "events-v1-processing.json", "memledger 0.1.0 (MemoryProcessingFailed)");
});

import Database from "better-sqlite3";
import { Effect } from "effect";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { NewEvent } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore, type Durability } from "../src/eventStore/sqliteEventStore.js";
import { genesisHash, nextChainHash, nextStreamHash } from "../src/eventStore/eventHashChain.js";
import { checkpointNow, verifyTamperEvidence } from "../src/tamperEvidence/tamperEvidence.js";
import { makeEvents, removeDir, tempDir } from "./payload.js";
import { fmtRate, formatTable, median, nowMs, type Table } from "./stats.js";

/**
 * `npm run bench:tamper` (vite-node bench/tamperEvidenceBench.ts [baseline-commit]): what the hash chains cost.
 * Append throughput of the event store as it is now (stream hash + chain hash on every event) against the
 * same store before hash chains (the baseline commit's src/, extracted with `git archive` into a temp dir;
 * default 2efce15, the last commit without them), in alternating rounds, each case on a fresh file;
 * then how fast `audit verify` walks the log, and what one signed checkpoint costs.
 */

type OpenStore = typeof openSqliteEventStore;

const baselineCommit = process.argv[2] ?? "2efce15";
const rounds = Number(process.env.ROUNDS ?? 5);
const secondsPerCase = Number(process.env.SECONDS_PER_CASE ?? 3);
const batchSize = 100;
const streamLength = 1_000;

async function baselineStore(): Promise<OpenStore> {
  const dir = join(tmpdir(), `memledger-baseline-${baselineCommit}`);
  if (!existsSync(join(dir, "src"))) {
    mkdirSync(dir, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${baselineCommit} src domain projections bench package.json | tar -x -C ${dir}`]);
    symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  }
  const module = (await import(join(dir, "src/eventStore/sqliteEventStore.ts"))) as { openSqliteEventStore: OpenStore };
  return module.openSqliteEventStore;
}

/** `memory`: an in-memory database, no disk at all: the CPU cost of an append, free of the shared disk's noise. */
type Storage = Durability | "memory";

async function appendRate(open: OpenStore, storage: Storage, mode: "single" | "batched", events: readonly NewEvent[]): Promise<number> {
  const dir = tempDir(`tamper-append-${mode}`);
  const store = open({ path: storage === "memory" ? ":memory:" : join(dir, "events.db"), durability: storage === "memory" ? "normal" : storage, integrityCheck: false });
  const append = (start: number, end: number) => {
    const stream = `s-${Math.floor(start / streamLength)}`;
    const revision = start % streamLength;
    return Effect.runPromise(store.append(stream, events.slice(start, end), revision === 0 ? "no_stream" : revision - 1));
  };
  try {
    const step = mode === "batched" ? batchSize : 1;
    // Warm-up past the first WAL checkpoint (uncounted).
    let i = 0;
    for (; i < 2_000; i += batchSize) await append(i, i + batchSize);
    const start = nowMs();
    const deadline = start + secondsPerCase * 1000;
    const first = i;
    while (i + step <= events.length && nowMs() < deadline) {
      await append(i, i + step);
      i += step;
    }
    return (i - first) / ((nowMs() - start) / 1000);
  } finally {
    await Effect.runPromise(store.close());
    removeDir(dir);
  }
}

async function main() {
  const events = makeEvents(200_000);
  const before = await baselineStore();
  const tables: Table[] = [];
  const rows: string[][] = [];
  for (const durability of ["memory", "full", "normal"] as const) {
    for (const mode of ["single", "batched"] as const) {
      const rates = { before: [] as number[], after: [] as number[] };
      for (let round = 0; round < rounds; round += 1) {
        for (const side of round % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const)) {
          const rate = await appendRate(side === "before" ? before : openSqliteEventStore, durability, mode, events);
          rates[side].push(rate);
          console.log(`  round ${round + 1}/${rounds} ${durability} ${mode} ${side}: ${fmtRate(rate)} events/s`);
        }
      }
      const ratios = rates.after.map((a, i) => a / rates.before[i]!);
      rows.push([durability, mode === "single" ? "1 event / append" : `${batchSize} events / append`, fmtRate(median(rates.before)), fmtRate(median(rates.after)), `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`]);
    }
  }
  tables.push({ title: `Append throughput before (${baselineCommit}) and after hash chains (events/s, median of ${rounds} rounds)`, headers: ["durability (memory: in-memory database)", "mode", "before", "with hash chains", "after / before (min–max of paired rounds)"], rows });

  // Verify and checkpoint on a 200,000-event log.
  const dataDir = tempDir("tamper-verify");
  const store = openSqliteEventStore({ path: join(dataDir, "events.db"), durability: "normal", integrityCheck: false });
  for (let i = 0; i < events.length; i += batchSize) {
    const revision = i % streamLength;
    await Effect.runPromise(store.append(`s-${Math.floor(i / streamLength)}`, events.slice(i, i + batchSize), revision === 0 ? "no_stream" : revision - 1));
  }
  await Effect.runPromise(store.close());
  // The migration of a format-1 log: strip the hashes, reopen, time the open that chains them again.
  const raw = new Database(join(dataDir, "events.db"));
  raw.exec("UPDATE events SET stream_hash = NULL, chain_hash = NULL");
  raw.pragma("user_version = 1");
  raw.close();
  const migrateStart = nowMs();
  await Effect.runPromise(openSqliteEventStore({ path: join(dataDir, "events.db"), integrityCheck: false }).close());
  const migrateSeconds = (nowMs() - migrateStart) / 1000;
  // The chains' CPU per event in isolation: robust where the shared machine makes append rates noisy.
  const checksum = Buffer.alloc(33, 7);
  let streamHash = genesisHash;
  let chainHash = genesisHash;
  const hashStart = nowMs();
  for (let i = 0; i < 200_000; i += 1) {
    streamHash = nextStreamHash(streamHash, checksum);
    chainHash = nextChainHash(chainHash, streamHash);
  }
  const hashMicros = ((nowMs() - hashStart) * 1000) / 200_000;
  const signStart = nowMs();
  checkpointNow({ dataDir });
  const signMs = nowMs() - signStart;
  const verifyStart = nowMs();
  const report = await verifyTamperEvidence({ dataDir });
  const verifySeconds = (nowMs() - verifyStart) / 1000;
  if (!report.ok) throw new Error(`the bench log does not verify: ${report.firstBad?.message}`);
  removeDir(dataDir);
  tables.push({
    title: "audit verify and checkpoints (200,000 events of ~1 KiB)",
    headers: ["what", "figure"],
    rows: [
      ["audit verify: checksums, both chains, 1 checkpoint", `${verifySeconds.toFixed(2)} s (${fmtRate(events.length / verifySeconds)} events/s)`],
      ["open that chains a format-1 log (the migration)", `${migrateSeconds.toFixed(2)} s (${fmtRate(events.length / migrateSeconds)} events/s)`],
      ["hash chains' CPU per appended event (stream hash + chain hash)", `${hashMicros.toFixed(2)} µs`],
      ["one signed checkpoint (read head, ed25519 sign, append + fsync; first one creates the key)", `${signMs.toFixed(1)} ms`],
    ],
  });
  console.log(`\n${tables.map(formatTable).join("\n\n")}\n`);
}

await main();

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { openSqliteGraphStore } from "../src/readModels/graph/sqliteGraphStore.js";
import { fmtMs, nowMs, summarize } from "./stats.js";

/**
 * What the graph read model's WAL purge after an erasure costs (issue 11, item 1).
 * Each round writes `fill` memories (names, tags, sources: the WAL grows as in
 * service), then applies a one-event batch that erases one memory (fold + purge),
 * then writes `fill` more and applies a one-event batch that archives another
 * (fold only): the baseline, in the same run, from the same WAL state.
 * Run: npx vite-node bench/erasurePurgeBench.ts
 */
const rounds = Number(process.env.BENCH_PURGE_ROUNDS ?? 20);
const fill = Number(process.env.BENCH_PURGE_FILL ?? 500);

function main(): void {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "memledger-purge-bench-"));
  const file = join(dir, "graph-1.db");
  const store = openSqliteGraphStore(file);
  const log = projectionEventLog();
  let n = 0;
  const write = () => {
    const batch = Array.from({ length: fill }, () => {
      n += 1;
      return log.created(`m${n}`, contentOf(`Ada Lovelace met Person${n} Surname${n % 97} in City${n % 31}.`, { tags: [`tag-${n % 13}`], sources: [{ kind: "url", ref: `https://example.org/${n}` }] }));
    });
    store.apply(batch);
    return n;
  };
  const erase: number[] = [];
  const archive: number[] = [];
  const walBytes: number[] = [];
  write();
  for (let round = 0; round < rounds; round += 1) {
    const toErase = write();
    walBytes.push(statSync(`${file}-wal`).size);
    let t0 = nowMs();
    store.apply([log.erased(`m${toErase}`)]);
    erase.push(nowMs() - t0);
    const toArchive = write();
    t0 = nowMs();
    store.apply([log.archived(`m${toArchive}`)]);
    archive.push(nowMs() - t0);
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const e = summarize(erase);
  const a = summarize(archive);
  const wal = summarize(walBytes);
  console.log(`| batch | p50 | p99 | mean | mean / archive batch |`);
  console.log(`|---|---|---|---|---|`);
  console.log(`| archive one memory (fold only) | ${fmtMs(a.p50)} | ${fmtMs(a.p99)} | ${fmtMs(a.mean)} | 1.00× |`);
  console.log(`| erase one memory (fold + WAL purge) | ${fmtMs(e.p50)} | ${fmtMs(e.p99)} | ${fmtMs(e.mean)} | ${(e.mean / a.mean).toFixed(2)}× |`);
  console.log(`\n${rounds} rounds; ${fill} memories written before each timed batch; WAL before the erasure: median ${(wal.p50 / 1_048_576).toFixed(1)} MiB, max ${(wal.max / 1_048_576).toFixed(1)} MiB.`);
}

main();

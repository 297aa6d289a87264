import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import type { CommandContext } from "../src/command/commandContext.js";
import { fmtMs, nowMs, summarize, type Summary } from "./stats.js";

/**
 * What an Idempotency-Key costs through the library API (durability full):
 * a keyed create or edit claims the key first (one read, one more durable append),
 * a retry reads the claim and answers from the log. Baseline: the same command
 * without a key, in the same run, rounds interleaved so machine noise hits all cases.
 * Run: npx vite-node bench/idempotencyBench.ts
 */
const perRound = Number(process.env.BENCH_IDEM_N ?? 150);
const rounds = Number(process.env.BENCH_IDEM_ROUNDS ?? 3);

async function timed(samples: number[], f: () => Promise<unknown>): Promise<void> {
  const t0 = nowMs();
  await f();
  samples.push(nowMs() - t0);
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "memledger-idem-bench-"));
  const ctx: CommandContext = { tenantId: "bench", actor: "agent:bench" };
  const ledger: MemLedger = await openMemLedger({ dataDir, worker: false, defaultContext: ctx });
  await ledger.cubes.create({ cubeId: "bench", name: "Bench", owner: { kind: "agent", id: "bench" } });
  const cases = ["create, no key", "create, new key", "create, retried key", "edit, no key", "edit, new key", "edit, retried key"] as const;
  const samples: Record<(typeof cases)[number], number[]> = Object.fromEntries(cases.map((c) => [c, []])) as never;
  let n = 0;
  const text = () => `memory ${n++} about tea, trains and the weather in Lyon`;
  // Warm-up: caches, the fingerprint key, the first WAL checkpoint.
  for (let i = 0; i < 50; i += 1) await ledger.memories.create({ cubeId: "bench", text: text() }, { ...ctx, commandId: `warm-${i}` });
  for (let round = 0; round < rounds; round += 1) {
    const keys: string[] = [];
    const units: string[] = [];
    for (let i = 0; i < perRound; i += 1) {
      await timed(samples["create, no key"], async () => units.push((await ledger.memories.create({ cubeId: "bench", text: text() })).memoryId));
      const key = `create-${round}-${i}`;
      keys.push(key);
      await timed(samples["create, new key"], () => ledger.memories.create({ cubeId: "bench", text: `keyed ${key}` }, { ...ctx, commandId: key }));
    }
    for (const key of keys) await timed(samples["create, retried key"], () => ledger.memories.create({ cubeId: "bench", text: `keyed ${key}` }, { ...ctx, commandId: key }));
    for (const [i, unit] of units.entries()) {
      await timed(samples["edit, no key"], () => ledger.memories.edit(unit, { content: { text: `edited ${round} ${i}` } }));
      await timed(samples["edit, new key"], () => ledger.memories.edit(unit, { content: { text: `keyed edit ${round} ${i}` } }, { ...ctx, commandId: `edit-${round}-${i}` }));
    }
    for (const [i, unit] of units.entries()) {
      await timed(samples["edit, retried key"], () => ledger.memories.edit(unit, { content: { text: `keyed edit ${round} ${i}` } }, { ...ctx, commandId: `edit-${round}-${i}` }));
    }
  }
  await ledger.close();
  rmSync(dataDir, { recursive: true, force: true });
  const summaries = Object.fromEntries(cases.map((c) => [c, summarize(samples[c])])) as Record<(typeof cases)[number], Summary>;
  const baseline = (c: string) => summaries[c.startsWith("create") ? "create, no key" : "edit, no key"];
  console.log(`| command | p50 | p99 | mean | mean / same command without a key |`);
  console.log(`|---|---|---|---|---|`);
  for (const c of cases) {
    const s = summaries[c];
    console.log(`| ${c} | ${fmtMs(s.p50)} | ${fmtMs(s.p99)} | ${fmtMs(s.mean)} | ${(s.mean / baseline(c).mean).toFixed(2)}× |`);
  }
  console.log(`\n${rounds} rounds × ${perRound} commands per case, interleaved; durability full; ${new Date().toISOString()}`);
}

void main();

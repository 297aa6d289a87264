/**
 * `npm run bench:metrics [-- --quick]`: what metrics cost a request. Two
 * servers in this process on ledgers in their own data directories, built the
 * same way but for metrics: one with none (no hooks, no decorated ports),
 * one with LedgerMetrics (the latency histogram hook, the event store, job bus
 * and embedder decorators) and GET /metrics scraped every 250 requests, as
 * Prometheus would. Calls alternate between the two servers, call by call
 * (the order rotated each round), so machine drift hits both alike.
 *
 * Cases: GET /memories/:id (a read: the hook only), POST /memories (a write:
 * the hook plus an append counted by type). Rate limit off, no embedder.
 * Traces are not measured: off, nothing of them runs (no SDK loaded, no
 * decorator installed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { FastifyInstance } from "fastify";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { LedgerMetrics } from "../src/metrics/ledgerMetrics.js";
import { buildServer } from "../src/server/buildServer.js";
import { fmtMs, fmtRatio, formatTable, nowMs, summarize, writeResults } from "./stats.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const rounds = values.quick ? 300 : 1_500;

interface Side {
  readonly name: string;
  readonly ledger: MemLedger;
  readonly app: FastifyInstance;
  readonly dir: string;
  readonly token: string;
  memoryId: string;
  readonly reads: number[];
  readonly writes: number[];
}

async function side(name: string, metrics: LedgerMetrics | undefined): Promise<Side> {
  const dir = mkdtempSync(join(tmpdir(), `memledger-metrics-bench-${name}-`));
  const ledger = await openMemLedger({ dataDir: dir, ...(metrics ? { telemetry: { metrics } } : {}) });
  const keyFile = join(dir, "admin.key");
  await ledger.bootstrapAdmin(keyFile);
  const { readFileSync } = await import("node:fs");
  const token = readFileSync(keyFile, "utf8").trim();
  const app = await buildServer(ledger, { rateLimit: false, ...(metrics ? { metrics: { metrics } } : {}) });
  const auth = { authorization: `Bearer ${token}` };
  await app.inject({ method: "POST", url: "/cubes", headers: auth, payload: { cubeId: "bench", name: "Bench", owner: { kind: "user", id: "u" } } });
  const created = await app.inject({ method: "POST", url: "/memories", headers: auth, payload: { cubeId: "bench", text: "the first memory" } });
  if (created.statusCode !== 201) throw new Error(`setup failed: ${created.statusCode} ${created.body}`);
  return { name, ledger, app, dir, token, memoryId: (created.json() as { memoryId: string }).memoryId, reads: [], writes: [] };
}

async function timed(s: Side, method: "GET" | "POST", url: string, payload?: object): Promise<number> {
  const started = nowMs();
  const answer = await s.app.inject({ method, url, headers: { authorization: `Bearer ${s.token}` }, ...(payload ? { payload } : {}) });
  const took = nowMs() - started;
  if (answer.statusCode >= 300) throw new Error(`${method} ${url}: ${answer.statusCode} ${answer.body}`);
  return took;
}

async function main(): Promise<void> {
  const metrics = new LedgerMetrics();
  const sides = [await side("off", undefined), await side("on", metrics)];
  // Warm-up: JIT and SQLite caches for both.
  for (let i = 0; i < 50; i += 1) for (const s of sides) await timed(s, "GET", `/memories/${s.memoryId}`);
  let scrapes = 0;
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) s.reads.push(await timed(s, "GET", `/memories/${s.memoryId}`));
    for (const s of order) s.writes.push(await timed(s, "POST", "/memories", { cubeId: "bench", text: `memory ${round}` }));
    if (round % 250 === 249) {
      const scraped = await sides[1]!.app.inject({ method: "GET", url: "/metrics" });
      if (scraped.statusCode !== 200) throw new Error(`scrape: ${scraped.statusCode}`);
      scrapes += 1;
    }
  }
  const [off, on] = sides as [Side, Side];
  const rows = (["reads", "writes"] as const).map((kind) => {
    const a = summarize(off[kind]);
    const b = summarize(on[kind]);
    return [kind === "reads" ? "GET /memories/:id" : "POST /memories", fmtMs(a.p50), fmtMs(b.p50), fmtRatio(b.p50 / a.p50), fmtMs(a.mean), fmtMs(b.mean), fmtRatio(b.mean / a.mean)];
  });
  const markdown = formatTable({
    title: "Metrics overhead per request (app.inject, same run)",
    headers: ["request", "p50 metrics off", "p50 metrics on", "p50 ratio", "mean off", "mean on", "mean ratio"],
    rows,
    notes: [`${rounds} rounds, calls interleaved, ${scrapes} scrapes of /metrics during the run`],
  });
  console.log(markdown);
  console.log(`results: ${writeResults("metricsOverhead", markdown)}`);
  for (const s of sides) {
    await s.app.close();
    await s.ledger.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

await main();

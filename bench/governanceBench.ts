/**
 * `npm run bench:governance [-- --quick]`: what authentication, authorization
 * and the read audit cost (issue 12), every figure beside a baseline taken in
 * the same run, cases interleaved call by call (the order rotated each round)
 * so machine drift hits all of them alike.
 *
 * 1. Per-request overhead of the access check, on 2,000 memories in one cube
 *    (no embedder: BM25 + graph), read audit buffered (the default):
 *    - library: `ledger.memories.get` / `ledger.search` on the trusted root vs
 *      the same call through `ledger.as(acting)` (policy gate + read audit),
 *      for the bootstrap admin and for a user with only a `read` grant on the
 *      cube; and `ledger.authenticate(token)` + `ledger.as(...)`, what the
 *      server's onRequest hook does;
 *    - HTTP (`app.inject`, rate limit off): GET /memories/:id and POST /search
 *      with `Authorization: Bearer <key>` through the real server, vs the same
 *      server built on a ledger whose `authenticate` answers a fixed principal
 *      and whose `as()` returns the root (no key check, no policy, no audit);
 *      src/ is not touched.
 * 2. The read audit: three ledgers on copies of the same data directory,
 *    `readAudit: false`, buffered (default) and `{ mode: "sync" }`, the same
 *    reads through `ledger.as(reader)`.
 * `--quick` cuts every count by 10 (figures mean little).
 */
import { cpSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { FastifyInstance } from "fastify";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import type { CommandContext } from "../src/command/commandContext.js";
import type { ActingPrincipal } from "../src/governance/actingPrincipal.js";
import { buildServer } from "../src/server/buildServer.js";
import type { SearchRequest } from "../src/search/searchRequest.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtMs, fmtRatio, formatTable, median, passFail, summarize, type Summary, writeResults } from "./stats.js";
import { syntheticMemories } from "./syntheticMemories.js";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { quick: { type: "boolean", default: false }, keep: { type: "boolean", default: false } },
});
const scale = args.quick ? 0.1 : 1;
const n = (count: number) => Math.max(20, Math.round(count * scale));
const corpusSize = 2_000;
const batchSize = 200;
const counts = { libGet: n(20_000), httpGet: n(5_000), search: n(500), auditGet: n(20_000), auditSearch: n(500), auditSearchRepeated: n(1_000) };
const targets = { overheadP50Ms: 0.1, auditRatioP50: 1.1 } as const;
const log = (line: string) => console.log(line);
const started = performance.now();

type Case = { readonly name: string; readonly run: (i: number) => Promise<unknown> };

/** Every case once per round, the order rotated each round; warm-up rounds untimed. */
async function interleaved(cases: readonly Case[], rounds: number, warmRounds: number): Promise<Map<string, Summary>> {
  for (let w = 0; w < warmRounds; w += 1) for (const c of cases) await c.run(-1 - w);
  const samples = cases.map(() => [] as number[]);
  for (let i = 0; i < rounds; i += 1) {
    for (let k = 0; k < cases.length; k += 1) {
      const index = (i + k) % cases.length;
      const t0 = performance.now();
      await cases[index]!.run(i);
      samples[index]!.push(performance.now() - t0);
    }
  }
  cases.forEach((c, index) => raw.set(c.name, samples[index]!));
  return new Map(cases.map((c, index) => [c.name, summarize(samples[index]!)]));
}

/** Every call's time, by case; calls of the same round index ran back to back. */
const raw = new Map<string, number[]>();
/** Median over rounds of (case − baseline) within the round: steadier than a difference of p50s when p99 is 10× p50. */
const pairedDelta = (name: string, baseline: string): number => {
  const a = raw.get(name)!;
  const b = raw.get(baseline)!;
  return median(a.map((x, i) => x - b[i]!));
};

const ctx: CommandContext = { tenantId: "default", actor: "agent:bench" };
const seedDir = tempDir("governance");
const corpus = syntheticMemories(corpusSize);
const questions = [...new Set(corpus.map((m) => m.question))].slice(0, 200);
const dirs: string[] = [seedDir];
const open: MemLedger[] = [];
const apps: FastifyInstance[] = [];
try {
  // ------------------------------------------------ data: 2,000 memories, the admin key, a reader with a cube grant
  const seed = await openMemLedger({ dataDir: seedDir, worker: false, defaultContext: ctx });
  const keyFile = join(seedDir, "admin.key");
  await seed.bootstrapAdmin(keyFile);
  const adminToken = readFileSync(keyFile, "utf8").trim();
  await seed.cubes.create({ cubeId: "bench", name: "Bench", owner: { kind: "agent", id: "bench" } });
  const memoryIds: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < corpus.length; i += batchSize) {
    const added = await seed.memories.add("bench", { mode: "sync", memories: corpus.slice(i, i + batchSize).map((m) => ({ text: m.text, tags: [m.topic] })) });
    if (added.mode !== "sync") throw new Error("expected a sync add");
    memoryIds.push(...added.memories.map((m) => m.memoryId));
  }
  await seed.governance.createPrincipal({ principalId: "reader", kind: "user", displayName: "bench reader" });
  await seed.governance.grantCube("bench", { kind: "principal", id: "reader" }, "read");
  const readerToken = (await seed.governance.issueKey("reader", { scopes: ["read"] })).token;
  await seed.readModels.catchUp(120_000);
  await seed.close();
  log(`${memoryIds.length} memories added and indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Copies of the same data for the read-audit comparison (closed files, so no WAL to carry over).
  const offDir = tempDir("governance-audit-off");
  const syncDir = tempDir("governance-audit-sync");
  dirs.push(offDir, syncDir);
  cpSync(seedDir, offDir, { recursive: true });
  cpSync(seedDir, syncDir, { recursive: true });
  const ledger = await openMemLedger({ dataDir: seedDir, worker: false, defaultContext: ctx });
  const ledgerOff = await openMemLedger({ dataDir: offDir, worker: false, defaultContext: ctx, readAudit: false });
  const ledgerSync = await openMemLedger({ dataDir: syncDir, worker: false, defaultContext: ctx, readAudit: { mode: "sync" } });
  open.push(ledger, ledgerOff, ledgerSync);

  const admin = await ledger.authenticate(adminToken);
  const reader = await ledger.authenticate(readerToken);
  const asAdmin = ledger.as(admin);
  const asReader = ledger.as(reader);
  const idAt = (i: number) => memoryIds[((i % memoryIds.length) + memoryIds.length) % memoryIds.length]!;
  let fresh = 0;
  // A query never asked before (a distinct token that matches nothing), so no answer comes from the answer cache.
  const freshQuery = (i: number): SearchRequest => ({ query: `${questions[Math.abs(i) % questions.length]} zq${fresh++}`, cubeIds: ["bench"], topK: 10 });
  const repeatedQuery = (i: number): SearchRequest => ({ query: questions[Math.abs(i) % questions.length]!, cubeIds: ["bench"], topK: 10 });
  const probe = await asReader.search(repeatedQuery(0));
  if (probe.results.length === 0) throw new Error("the reader's search found nothing: check the grant");

  // ------------------------------------------------ 1a. library level: root vs as(acting); authenticate + as()
  const lib = await interleaved(
    [
      { name: "root get", run: (i) => ledger.memories.get(idAt(i)) },
      { name: "as(admin) get", run: (i) => asAdmin.memories.get(idAt(i)) },
      { name: "as(reader) get", run: (i) => asReader.memories.get(idAt(i)) },
      { name: "authenticate(admin) + as()", run: async () => ledger.as(await ledger.authenticate(adminToken)) },
      { name: "authenticate(reader) + as()", run: async () => ledger.as(await ledger.authenticate(readerToken)) },
    ],
    counts.libGet,
    corpusSize, // every memory once per case before timing: no case pays another's cold state cache
  );
  log(`library gets done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  const libSearch = await interleaved(
    [
      { name: "root search", run: (i) => ledger.search(freshQuery(i)) },
      { name: "as(admin) search", run: (i) => asAdmin.search(freshQuery(i)) },
      { name: "as(reader) search", run: (i) => asReader.search(freshQuery(i)) },
    ],
    counts.search,
    50,
  );
  log(`library searches done (${((performance.now() - started) / 1000).toFixed(0)} s)`);

  // ------------------------------------------------ 1b. HTTP: the real server vs the same server with the check bypassed
  const app = await buildServer(ledger, { rateLimit: false });
  const fixed: ActingPrincipal = { tenantId: "default", principalId: "admin" };
  // The same ledger, but `authenticate` is a constant and `as()` is the trusted root: no key check, no policy, no audit.
  const bypassLedger = { ...ledger, authenticate: async () => fixed, as: () => ledger } as unknown as MemLedger;
  const bypassApp = await buildServer(bypassLedger, { rateLimit: false });
  apps.push(app, bypassApp);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const check = (label: string) => (response: { statusCode: number; body: string }) => {
    if (response.statusCode !== 200) throw new Error(`${label}: ${response.statusCode} ${response.body.slice(0, 300)}`);
  };
  const get = (server: FastifyInstance, token: string, label: string) => async (i: number) =>
    check(label)(await server.inject({ method: "GET", url: `/memories/${idAt(i)}`, headers: bearer(token) }));
  const search = (server: FastifyInstance, token: string, label: string) => async (i: number) =>
    check(label)(await server.inject({ method: "POST", url: "/search", headers: { ...bearer(token), "content-type": "application/json" }, payload: JSON.stringify(freshQuery(i)) }));
  const http = await interleaved(
    [
      { name: "GET, bypassed", run: get(bypassApp, adminToken, "GET, bypassed") },
      { name: "GET, admin key", run: get(app, adminToken, "GET, admin key") },
      { name: "GET, reader key", run: get(app, readerToken, "GET, reader key") },
    ],
    counts.httpGet,
    500,
  );
  log(`HTTP gets done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  const httpSearch = await interleaved(
    [
      { name: "search, bypassed", run: search(bypassApp, adminToken, "search, bypassed") },
      { name: "search, admin key", run: search(app, adminToken, "search, admin key") },
      { name: "search, reader key", run: search(app, readerToken, "search, reader key") },
    ],
    counts.search,
    50,
  );
  log(`HTTP searches done (${((performance.now() - started) / 1000).toFixed(0)} s)`);

  // ------------------------------------------------ 2. read audit off / buffered / sync, the same reads as the reader
  const readerOff = ledgerOff.as(await ledgerOff.authenticate(readerToken));
  const readerSync = ledgerSync.as(await ledgerSync.authenticate(readerToken));
  const audit = await interleaved(
    [
      { name: "get, audit off", run: (i) => readerOff.memories.get(idAt(i)) },
      { name: "get, audit buffered", run: (i) => asReader.memories.get(idAt(i)) },
      { name: "get, audit sync", run: (i) => readerSync.memories.get(idAt(i)) },
    ],
    counts.auditGet,
    corpusSize, // the two copies were just opened: load every unit once before timing
  );
  log(`audited gets done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  const auditSearch = await interleaved(
    [
      { name: "search new query, audit off", run: (i) => readerOff.search(freshQuery(i)) },
      { name: "search new query, audit buffered", run: (i) => asReader.search(freshQuery(i)) },
      { name: "search new query, audit sync", run: (i) => readerSync.search(freshQuery(i)) },
    ],
    counts.auditSearch,
    50,
  );
  // The 200 questions asked again and again: after the warm-up rounds every answer comes from the answer cache.
  const auditRepeated = await interleaved(
    [
      { name: "search repeated query, audit off", run: (i) => readerOff.search(repeatedQuery(i)) },
      { name: "search repeated query, audit buffered", run: (i) => asReader.search(repeatedQuery(i)) },
      { name: "search repeated query, audit sync", run: (i) => readerSync.search(repeatedQuery(i)) },
    ],
    counts.auditSearchRepeated,
    questions.length,
  );
  log(`audited searches done (${((performance.now() - started) / 1000).toFixed(0)} s)`);

  // ------------------------------------------------ tables
  const all = new Map([...lib, ...libSearch, ...http, ...httpSearch, ...audit, ...auditSearch, ...auditRepeated]);
  const s = (name: string) => all.get(name)!;
  const row = (name: string, baseline: string, what = name) => [what, String(s(name).n), fmtMs(s(name).p50), fmtMs(s(name).p99), baseline, fmtRatio(s(name).p50 / s(baseline).p50), fmtRatio(s(name).p99 / s(baseline).p99)];
  const fmtDelta = (ms: number) => (ms < 0 ? `−${fmtMs(-ms)}` : `+${fmtMs(ms)}`);
  const headers = ["case", "n", "p50", "p99", "baseline (same run)", "p50 / baseline", "p99 / baseline"];

  const overhead = (who: "admin" | "reader", op: "get" | "search") => {
    const facade = pairedDelta(`as(${who}) ${op}`, `root ${op}`);
    const auth = s(`authenticate(${who}) + as()`).p50;
    return { facade, auth, total: facade + auth };
  };
  const httpOverhead = (who: "admin key" | "reader key", op: "GET" | "search") => pairedDelta(`${op}, ${who}`, `${op}, bypassed`);
  const sections = [
    formatTable({
      title: "Authentication and authorization, library level (read audit buffered)",
      headers,
      rows: [
        row("root get", "root get", "root memories.get (baseline)"),
        row("as(admin) get", "root get", "as(admin).memories.get"),
        row("as(reader) get", "root get", "as(reader).memories.get (read grant on the cube)"),
        row("authenticate(admin) + as()", "root get", "authenticate(admin key) + as()"),
        row("authenticate(reader) + as()", "root get", "authenticate(reader key) + as()"),
        row("root search", "root search", "root search, BM25 (baseline)"),
        row("as(admin) search", "root search", "as(admin).search"),
        row("as(reader) search", "root search", "as(reader).search (private units filtered)"),
      ],
      notes: [`${corpusSize.toLocaleString("en-US")} memories in one cube, no embedder (BM25 + graph), top 10, a new query each call; gets cycle over every memory. Cases interleaved call by call; ${counts.libGet.toLocaleString("en-US")} calls per get/authenticate case, ${counts.search} per search case.`],
    }),
    formatTable({
      title: "Authentication and authorization over HTTP (app.inject, rate limit off)",
      headers,
      rows: [
        row("GET, bypassed", "GET, bypassed", "GET /memories/:id, check bypassed (baseline)"),
        row("GET, admin key", "GET, bypassed", "GET /memories/:id, Bearer admin key"),
        row("GET, reader key", "GET, bypassed", "GET /memories/:id, Bearer reader key"),
        row("search, bypassed", "search, bypassed", "POST /search, check bypassed (baseline)"),
        row("search, admin key", "search, bypassed", "POST /search, Bearer admin key"),
        row("search, reader key", "search, bypassed", "POST /search, Bearer reader key"),
      ],
      notes: [
        `Bypassed = the same buildServer over a ledger whose authenticate() answers a fixed principal and whose as() is the trusted root: the hook still parses the header, but no key is checked, no policy asked, no read recorded. ${counts.httpGet.toLocaleString("en-US")} GETs and ${counts.search} searches per case.`,
      ],
    }),
    formatTable({
      title: "Overhead per request at p50 against the target (< 0.1 ms)",
      headers: ["request", "as() call − root call, median of paired Δ", "authenticate + as() p50", "overhead p50 (sum)", "HTTP − bypassed, median of paired Δ", "target", "result"],
      rows: (["get", "search"] as const).flatMap((op) =>
        (["admin", "reader"] as const).map((who) => {
          const o = overhead(who, op);
          const direct = httpOverhead(`${who} key`, op === "get" ? "GET" : "search");
          return [`${op === "get" ? "GET /memories/:id" : "POST /search"}, ${who}`, fmtMs(o.facade), fmtMs(o.auth), fmtMs(o.total), fmtMs(direct), "< 0.1 ms", passFail(o.total < targets.overheadP50Ms)];
        }),
      ),
      notes: [
        "Paired Δ: the two calls of one round ran back to back; the median of their differences over all rounds. The result column judges the sum (the brief's definition); the HTTP column is the same overhead measured end to end. For search the reader's figure includes the private-unit filter the retrievers apply for a non-admin (more work, not a check).",
      ],
    }),
    formatTable({
      title: "Read audit on vs off (as the reader, three ledgers on copies of the same data)",
      headers: [...headers, "paired Δ vs baseline", "target", "result"],
      rows: [
        [...row("get, audit off", "get, audit off", "memories.get, audit off (baseline)"), fmtDelta(pairedDelta("get, audit off", "get, audit off")), "", ""],
        [...row("get, audit buffered", "get, audit off", "memories.get, audit buffered (default)"), fmtDelta(pairedDelta("get, audit buffered", "get, audit off")), "", ""],
        [...row("get, audit sync", "get, audit off", "memories.get, audit sync"), fmtDelta(pairedDelta("get, audit sync", "get, audit off")), "", ""],
        [...row("search new query, audit off", "search new query, audit off", "search, new query, audit off (baseline)"), fmtDelta(pairedDelta("search new query, audit off", "search new query, audit off")), "", ""],
        [...row("search new query, audit buffered", "search new query, audit off", "search, new query, audit buffered (default)"), fmtDelta(pairedDelta("search new query, audit buffered", "search new query, audit off")), "< 1.10× p50", passFail(s("search new query, audit buffered").p50 / s("search new query, audit off").p50 < targets.auditRatioP50)],
        [...row("search new query, audit sync", "search new query, audit off", "search, new query, audit sync"), fmtDelta(pairedDelta("search new query, audit sync", "search new query, audit off")), "< 1.10× p50", passFail(s("search new query, audit sync").p50 / s("search new query, audit off").p50 < targets.auditRatioP50)],
        [...row("search repeated query, audit off", "search repeated query, audit off", "search, cached answer, audit off (baseline)"), fmtDelta(pairedDelta("search repeated query, audit off", "search repeated query, audit off")), "", ""],
        [...row("search repeated query, audit buffered", "search repeated query, audit off", "search, cached answer, audit buffered"), fmtDelta(pairedDelta("search repeated query, audit buffered", "search repeated query, audit off")), "", ""],
        [...row("search repeated query, audit sync", "search repeated query, audit off", "search, cached answer, audit sync"), fmtDelta(pairedDelta("search repeated query, audit sync", "search repeated query, audit off")), "", ""],
      ],
      notes: [
        `${counts.auditGet.toLocaleString("en-US")} gets, ${counts.auditSearch} new-query searches and ${counts.auditSearchRepeated.toLocaleString("en-US")} repeated-query searches per case, interleaved; the buffered ledger is the one of the tables above. Repeated = the same ${questions.length} questions over and over, answered from the answer cache after the warm-up.`,
      ],
    }),
  ];
  const footer = `Run: npm run bench:governance${args.quick ? " -- --quick" : ""}; ${new Date().toISOString()}; node ${process.version}, ${cpus().length} cores; total ${((performance.now() - started) / 1000).toFixed(0)} s.`;
  const markdown = [...sections, footer].join("\n\n");
  log(`\n${markdown}`);
  log(`\nwritten to ${writeResults("governance", markdown)}`);
} finally {
  for (const app of apps) await app.close();
  for (const l of open) await l.close().catch(() => undefined);
  if (!args.keep) for (const dir of dirs) removeDir(dir);
}

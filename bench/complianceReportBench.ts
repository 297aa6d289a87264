/**
 * Compliance reports at scale: EVENTS events folded into the compliance read
 * model and READS read-audit records, written straight through the stores'
 * APIs in batches (no ledger in between), then each report query timed.
 *
 *   EVENTS=200000 READS=200000 npx vite-node bench/complianceReportBench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import { openComplianceStore } from "../src/readModels/compliance/complianceReadModel.js";
import { openSqliteReadAuditLog } from "../src/readAudit/sqliteReadAuditLog.js";
import { nowMs, summarize } from "./stats.js";

const events = Number(process.env.EVENTS ?? 200_000);
const reads = Number(process.env.READS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), "compliance-bench-"));
const base = Date.parse("2026-01-01T00:00:00Z");
const timeOf = (position: number) => new Date(base + position * 1000).toISOString();
const actors = Array.from({ length: 50 }, (_, i) => `principal:agent-${i}`);
const cubes = Array.from({ length: 500 }, (_, i) => `cube-${i}`);
const tenants = ["default", "other"];

const store = openComplianceStore(join(dir, "compliance.db"));
const started = nowMs();
let position = 0;
const attributes = { memoryType: "long_term", confidence: 1, visibility: "cube" } as const;
// Units of three events each (created, activated, edited), spread over cubes, actors and two tenants.
while (position < events) {
  const batch: ProjectionEvent[] = [];
  for (let i = 0; i < 20_000 && position < events; i += 3) {
    const unit = position / 3;
    const memoryId = `m-${unit}`;
    const cubeId = cubes[unit % cubes.length]!;
    const tenantId = tenants[unit % 10 === 0 ? 1 : 0]!;
    const meta = (p: number) => ({ tenantId, cubeId, actor: actors[p % actors.length]!, correlationId: "c", recordedAt: timeOf(p), subjectId: `user-${unit % 5000}` });
    const env = (type: string, revision: number) => ({ eventId: `e-${position + 1}`, type, schemaVersion: 1, streamId: `memory-${memoryId}`, revision, position: ++position, metadata: meta(position) });
    const content = { text: `fact ${unit}`, tags: [], sources: [{ kind: "other" as const, ref: `m-${Math.max(0, unit - 1)}` }], metadata: {} };
    batch.push({ kind: "cube", envelope: { ...env("CubeMemoryRegistered", unit), streamId: `cube-${cubeId}` }, event: { type: "CubeMemoryRegistered", data: { cubeId, memoryId } } });
    batch.push({ kind: "memory", envelope: env("MemoryCreated", 0), event: { type: "MemoryCreated", data: { memoryId, cubeId, content, attributes } } });
    batch.push({ kind: "memory", envelope: env("MemoryEdited", 1), event: { type: "MemoryEdited", data: { memoryId, version: 2, content: { ...content, text: `fact ${unit}, edited` }, attributes, changedFields: ["text"] } } });
  }
  store.apply(batch);
}
// Cubes must be known for the knowledge report.
store.apply(cubes.map((cubeId, i) => ({ kind: "cube", envelope: { eventId: `c-${i}`, type: "CubeCreated", schemaVersion: 1, streamId: `cube-${cubeId}`, revision: 0, position: ++position, metadata: { tenantId: "default", actor: "system", correlationId: "c", recordedAt: timeOf(0) } }, event: { type: "CubeCreated", data: { cubeId, name: cubeId, owner: { kind: "user", id: "u" } } } })));
const foldSeconds = (nowMs() - started) / 1000;

const audit = openSqliteReadAuditLog({ path: join(dir, "reads.db"), flushIntervalMs: 1_000_000 });
const auditStarted = nowMs();
for (let i = 0; i < reads; i += 1) {
  audit.record({ at: timeOf(i), tenantId: "default", principalId: `agent-${i % 50}`, action: "search", queryFingerprint: "f", cubeIds: [cubes[i % cubes.length]!], memoryIds: [`m-${(i * 7) % (events / 3)}`, `m-${(i * 13) % (events / 3)}`] });
  if (i % 10_000 === 9_999) await audit.flush();
}
await audit.flush();
const auditSeconds = (nowMs() - auditStarted) / 1000;

const time = async (name: string, run: (i: number) => unknown | Promise<unknown>, runs = 200) => {
  const durations: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = nowMs();
    await run(i);
    durations.push(nowMs() - t);
  }
  const s = summarize(durations);
  console.log(`| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} |`);
};
const units = Math.floor(events / 3);
console.log(`folded ${events} events in ${foldSeconds.toFixed(1)} s; wrote ${reads} read records in ${auditSeconds.toFixed(1)} s`);
console.log("| query (page of 100) | p50 ms | p99 ms |\n|---|---|---|");
await time("change log, tenant, first page", () => store.changes({ tenantId: "default", limit: 100 }));
await time("change log by actor, deep cursor", (i) => store.changes({ tenantId: "default", actor: actors[i % 50]!, after: Math.floor(events / 2), limit: 100 }));
await time("change log by memory", (i) => store.changes({ tenantId: "default", memoryId: `m-${(i * 997) % units}`, limit: 100 }));
await time("change log by cube + period", (i) => store.changes({ tenantId: "default", cubeId: cubes[i % 500]!, from: timeOf(events / 2), to: timeOf(events / 2 + 86_400), limit: 100 }));
await time("change log by period only", (i) => store.changes({ tenantId: "default", from: timeOf((i * 1009) % events), to: timeOf((i * 1009) % events + 3600), limit: 100 }));
await time("read log: who read memory X", (i) => audit.whoRead(`m-${(i * 7) % units}`, { tenantId: "default", limit: 100 }));
await time("read log: what P read in a day", (i) => audit.readsBy(`agent-${i % 50}`, { tenantId: "default", from: timeOf(reads / 2), to: timeOf(reads / 2 + 86_400), limit: 100 }));
await time("lineage of a memory", (i) => store.lineage("default", `m-${(i * 31) % units}`));
await time("knowledge at T (cube page)", (i) => store.knowledgeAt("default", cubes[i % 500]!, timeOf(events / 2), "", 100));
await time("erasure register", () => store.erasures({ tenantId: "default", limit: 100 }));
await time("subject's units", (i) => store.unitsOfSubject("default", `user-${i % 5000}`));
await audit.close();
store.close();
rmSync(dir, { recursive: true, force: true });

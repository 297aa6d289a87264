import type { ReadModelLag } from "../readModels/projectionRunner.js";
import type { SearchResponse } from "../search/searchRequest.js";
import type { HistoryEntry } from "../../projections/memoryHistory.js";
import type { MemoryDiff } from "../../projections/memoryDiff.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { BranchReport, CubeView, RollbackReport } from "../cube/cubeService.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
import type { AddMemoriesResult } from "../ingestion/ingestionService.js";
import type { JobRecord, JsonValue } from "../jobs/jobBusPort.js";
import type { WaitedJob } from "../jobs/waitForJob.js";
import type { CubeGrant, PrincipalState } from "../../domain/governance/accessState.js";
import type { ApiKeyView } from "../app/ledgerApi.js";
import type { IssuedKey } from "../governance/governanceService.js";
import type { StoredReadRecord } from "../readAudit/readAuditPort.js";

/** Readable text for what the CLI prints; `--json` bypasses all of this. */

export const formatJson = (value: unknown): string => JSON.stringify(value, null, 2);

export function formatCube(cube: CubeView): string {
  return [
    `cube ${cube.cubeId}  "${cube.name}"`,
    ...fields([
      ["owner", `${cube.owner.kind}:${cube.owner.id}`],
      ["description", cube.description],
      ["branched from", cube.branchedFrom ? `${cube.branchedFrom.cubeId} as of ${cube.branchedFrom.asOf}` : undefined],
      ["memories", String(cube.memoryCount)],
      ["branches", cube.branches.length > 0 ? cube.branches.join(", ") : undefined],
      ["rollbacks", cube.rollbacks > 0 ? String(cube.rollbacks) : undefined],
      ["created", `${cube.createdAt} by ${cube.createdBy}`],
      ["revision", String(cube.revision)],
    ]),
  ].join("\n");
}

export function formatCubeList(cubes: readonly CubeView[]): string {
  if (cubes.length === 0) return "(no cubes)";
  return table(
    ["CUBE", "NAME", "OWNER", "MEMORIES", "CREATED"],
    cubes.map((c) => [c.cubeId, c.name, `${c.owner.kind}:${c.owner.id}`, String(c.memoryCount), c.createdAt]),
  );
}

export function formatMemory(memory: MemoryView): string {
  const content = memory.content;
  return [
    `memory ${memory.memoryId}  (${memory.status}, revision ${memory.revision}, version ${memory.version})`,
    ...fields([
      ["cube", memory.cubeId],
      ...(content === null
        ? ([["content", "(erased: the data key was destroyed)"]] as const)
        : ([
            ["text", content.text],
            ["key", content.key],
            ["tags", content.tags.length > 0 ? content.tags.join(", ") : undefined],
            ["sources", content.sources.length > 0 ? content.sources.map((s) => `${s.kind}:${s.ref}`).join(", ") : undefined],
            ["user", content.userId],
            ["agent", content.agentId],
            ["session", content.sessionId],
            ["metadata", Object.keys(content.metadata).length > 0 ? Object.entries(content.metadata).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ") : undefined],
          ] as const)),
      ["type", memory.attributes.memoryType],
      ["confidence", String(memory.attributes.confidence)],
      ["visibility", memory.attributes.visibility],
      ["event time", memory.attributes.eventTime],
      ["successor", memory.successorId],
      ["frozen", memory.frozen ? `${memory.frozen.reason}${memory.frozen.note ? ` (${memory.frozen.note})` : ""}` : undefined],
      ["branched from", memory.branchedFrom ? `${memory.branchedFrom.memoryId}@${memory.branchedFrom.revision} in cube ${memory.branchedFrom.cubeId}` : undefined],
      ["subject", memory.subjectId],
      ["created", `${memory.createdAt} by ${memory.createdBy}`],
      ["updated", `${memory.updatedAt} by ${memory.updatedBy}`],
    ]),
  ].join("\n");
}

export function formatMemoryList(memories: readonly MemoryView[]): string {
  if (memories.length === 0) return "(no memories)";
  return table(
    ["MEMORY", "STATUS", "REV", "VER", "TEXT"],
    memories.map((m) => [m.memoryId, m.status, String(m.revision), String(m.version), m.content === null ? "(erased)" : truncate(m.content.text, 60)]),
  );
}

export function formatHistory(memoryId: string, entries: readonly HistoryEntry[]): string {
  const rows = entries.map((e) => {
    const details = [
      e.changedFields ? `changed ${e.changedFields.join(", ")}` : undefined,
      e.revertedTo !== undefined ? `reverted to revision ${e.revertedTo}` : undefined,
      e.successorId ? `into ${e.successorId}` : undefined,
      e.reason ? `reason: ${e.reason}` : undefined,
    ].filter((d): d is string => d !== undefined);
    return [String(e.revision), e.recordedAt, e.type, `${e.statusAfter} v${e.versionAfter}`, e.actor, details.join("; ")];
  });
  return [`history of memory ${memoryId}`, table(["REV", "RECORDED", "EVENT", "AFTER", "ACTOR", "DETAILS"], rows)].join("\n");
}

export function formatDiff(diff: MemoryDiff): string {
  const lines = [`memory ${diff.memoryId}: revision ${diff.fromRevision} -> ${diff.toRevision}`];
  if (diff.changes.length === 0) lines.push("  (no changes)");
  for (const change of diff.changes) lines.push(`  ${change.field}: ${show(change.before)} -> ${show(change.after)}`);
  if (diff.textDiff) {
    const marked = diff.textDiff.map((chunk) => (chunk.op === "equal" ? chunk.text : chunk.op === "delete" ? `[-${chunk.text}-]` : `{+${chunk.text}+}`)).join("");
    lines.push(`  text diff: ${marked}`);
  }
  if (diff.contentUnavailable) lines.push("  (content not compared: it was erased on at least one side)");
  return lines.join("\n");
}

export function formatRollback(report: RollbackReport): string {
  const lines = [`rolled back cube ${report.cubeId} to ${report.toTime}`];
  if (report.outcomes.length === 0) lines.push("  (the cube has no memories)");
  for (const o of report.outcomes) {
    const detail = [o.toRevision !== undefined ? `to revision ${o.toRevision}` : undefined, o.why].filter((d) => d !== undefined).join("; ");
    lines.push(`  ${o.memoryId}  ${o.action}${detail ? `  (${detail})` : ""}`);
  }
  return lines.join("\n");
}

export function formatBranch(report: BranchReport): string {
  const lines = [`branched cube ${report.sourceCubeId} as of ${report.asOf} into ${report.cube.cubeId}`, formatCube(report.cube)];
  const copies = Object.entries(report.memoryMap);
  if (copies.length > 0) lines.push("copied memories:", ...copies.map(([from, to]) => `  ${from} -> ${to}`));
  if (report.skipped.length > 0) lines.push("skipped:", ...report.skipped.map((s) => `  ${s.memoryId}  (${s.why})`));
  return lines.join("\n");
}

export function formatCertificate(certificate: ErasureCertificate): string {
  return [
    `erasure certificate for subject ${certificate.subjectId}`,
    ...fields([
      ["erased", `${certificate.erasedAt} by ${certificate.erasedBy}`],
      ["reason", certificate.reason],
      ["destroyed keys", list(certificate.destroyedKeyIds)],
      ["erased memories", list(certificate.erasedMemoryIds)],
      ["already erased", certificate.alreadyErasedMemoryIds.length > 0 ? list(certificate.alreadyErasedMemoryIds) : undefined],
      ["recorded as", `event ${certificate.eventId} at position ${certificate.position}`],
    ]),
  ].join("\n");
}

export function formatCertificates(subjectId: string, certificates: readonly ErasureCertificate[]): string {
  if (certificates.length === 0) return `(no erasures recorded for subject ${subjectId})`;
  return certificates.map(formatCertificate).join("\n\n");
}

export function formatAddResult(result: AddMemoriesResult): string {
  if (result.mode === "sync") return result.memories.map(formatMemory).join("\n\n");
  const count = result.memoryIds.length === 1 ? "1 memory" : `${result.memoryIds.length} memories`;
  return [
    `added ${count} (generated); job ${result.job.jobId} activates ${result.memoryIds.length === 1 ? "it" : "them"}`,
    ...fields([
      ["memories", list(result.memoryIds)],
      ["job", `${result.job.jobId}  (${result.job.status})`],
      ["follow", `memledger job wait ${result.job.jobId}`],
    ]),
  ].join("\n");
}

export function formatScheduled(memoryId: string, command: string, job: JobRecord): string {
  return [`scheduled ${command} of memory ${memoryId} for ${job.notBefore}`, formatJob(job)].join("\n");
}

export function formatJob(job: JobRecord): string {
  return [
    `job ${job.jobId}  (${job.status}, ${attemptsOf(job)})`,
    ...fields([
      ["kind", job.kind],
      ["does", describeWork(job)],
      ["cube", job.cubeId],
      ["key", job.key],
      ["status", statusMeaning(job)],
      ["last error", job.lastError !== undefined ? firstLine(job.lastError) : undefined],
      ["result", job.result !== undefined ? JSON.stringify(job.result) : undefined],
      ["runs at", runsLater(job) ? job.notBefore : undefined],
      ["enqueued", job.enqueuedAt],
      ["updated", job.updatedAt],
      ["finished", job.finishedAt],
    ]),
  ].join("\n");
}

export function formatWaitedJob(waited: WaitedJob, timeoutMs: number): string {
  if (waited.finished) return formatJob(waited.job);
  return [`job ${waited.job.jobId} is still ${waited.job.status} after ${timeoutMs} ms`, formatJob(waited.job)].join("\n");
}

export function formatJobList(jobs: readonly JobRecord[]): string {
  if (jobs.length === 0) return "(no jobs)";
  return table(
    ["JOB", "KIND", "STATUS", "ATTEMPTS", "CUBE", "UPDATED", "LAST ERROR"],
    jobs.map((j) => [j.jobId, j.kind, j.status, `${j.attempts}/${j.maxAttempts}`, j.cubeId ?? "-", j.updatedAt, j.lastError !== undefined ? truncate(firstLine(j.lastError), 60) : ""]),
  );
}

/** A delay or a backoff still ahead; for a finished job notBefore is history. */
function runsLater(job: JobRecord): boolean {
  return (job.status === "waiting" || job.status === "failed") && Date.parse(job.notBefore) > Date.parse(job.enqueuedAt);
}

function attemptsOf(job: JobRecord): string {
  return `attempt ${job.attempts} of ${job.maxAttempts}`;
}

/** What the status means for the user, for the states where it is not obvious. */
function statusMeaning(job: JobRecord): string | undefined {
  switch (job.status) {
    case "failed":
      return "the last attempt failed; it runs again after its backoff";
    case "dead":
      return `it failed ${job.attempts} times and will not run again; fix the cause, then: memledger job retry ${job.jobId}`;
    case "waiting":
      return job.attempts === 0 ? "queued; a process that runs jobs (the server) takes it when due" : "queued again; a process that runs jobs (the server) takes it";
    default:
      return undefined;
  }
}

/** The memory jobs in words; any other kind shows its payload. */
function describeWork(job: JobRecord): string | undefined {
  const payload = job.payload;
  if (!isRecord(payload)) return payload === null ? undefined : JSON.stringify(payload);
  const { memoryIds, memoryId, command } = payload;
  if (job.kind === "memory.ingest" && Array.isArray(memoryIds)) return `activate ${memoryIds.length === 1 ? "memory" : "memories"} ${memoryIds.map(String).join(", ")}`;
  if (job.kind === "memory.command" && typeof command === "string" && typeof memoryId === "string") return `${command} memory ${memoryId}`;
  return truncate(JSON.stringify(payload), 120);
}

function isRecord(value: JsonValue): value is { readonly [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}

/** `  label:  value` lines, aligned, skipping absent values. */
function fields(entries: readonly (readonly [string, string | undefined])[]): string[] {
  const present = entries.filter((e): e is readonly [string, string] => e[1] !== undefined);
  const width = Math.max(0, ...present.map(([label]) => label.length));
  return present.map(([label, value]) => `  ${`${label}:`.padEnd(width + 1)}  ${value}`);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function list(items: readonly string[]): string {
  return items.length > 0 ? items.join(", ") : "(none)";
}

function show(value: unknown): string {
  return value === undefined ? "(none)" : JSON.stringify(value);
}

export function formatSearch(response: SearchResponse): string {
  if (response.results.length === 0) return `no results (${response.mode})`;
  const lines = response.results.map((hit, i) => {
    const parts = [
      hit.why.vector ? `vector #${hit.why.vector.rank} (${hit.why.vector.similarity.toFixed(3)})` : undefined,
      hit.why.bm25 ? `bm25 #${hit.why.bm25.rank} (${hit.why.bm25.score.toFixed(2)})` : undefined,
      hit.why.graph ? `graph #${hit.why.graph.rank} via ${hit.why.graph.via.slice(0, 3).join(", ")}` : undefined,
    ].filter((p) => p !== undefined);
    const text = hit.memory.content?.text ?? "(erased)";
    return `${i + 1}. ${hit.memory.memoryId} v${hit.version} [${hit.memory.status}] score ${hit.score.toFixed(4)}\n   ${text}\n   why: ${parts.join("; ")}`;
  });
  const note = response.behind ? `\n(read models were ${response.behind} events behind the log)` : "";
  return `${lines.join("\n")}${note}`;
}

export function formatPrincipal(principal: PrincipalState): string {
  return [
    `principal ${principal.principalId}  (${principal.kind}${principal.disabled ? ", disabled" : ""})`,
    ...fields([
      ["name", principal.displayName],
      ["tenant", principal.tenantId],
      ["roles", principal.roles.length > 0 ? principal.roles.join(", ") : "(none)"],
      ["groups", principal.groups.length > 0 ? principal.groups.join(", ") : undefined],
    ]),
  ].join("\n");
}

export function formatPrincipalList(principals: readonly PrincipalState[]): string {
  if (principals.length === 0) return "(no principals)";
  return table(
    ["PRINCIPAL", "KIND", "ROLES", "GROUPS", "STATE"],
    principals.map((p) => [p.principalId, p.kind, p.roles.join(",") || "-", p.groups.join(",") || "-", p.disabled ? "disabled" : "enabled"]),
  );
}

/** The only time the whole key is printed: say so, and how to use it. */
export function formatIssuedKey(key: IssuedKey): string {
  return [
    `key ${key.keyId} for ${key.principalId}  (scopes ${key.scopes.join(", ")}${key.expiresAt ? `, expires ${key.expiresAt}` : ""})`,
    "",
    `  ${key.token}`,
    "",
    "This key is shown once: only its hash is stored. Keep it secret; send it as Authorization: Bearer <key>, or give it to the CLI with --api-key-file or MEMLEDGER_API_KEY.",
  ].join("\n");
}

export function formatKey(key: ApiKeyView): string {
  return `key ${key.keyId} (${key.prefix}…) of ${key.principalId}: ${key.revoked ? "revoked" : "active"}`;
}

export function formatKeyList(keys: readonly ApiKeyView[]): string {
  if (keys.length === 0) return "(no keys)";
  return table(
    ["KEY", "PRINCIPAL", "PREFIX", "SCOPES", "EXPIRES", "STATE"],
    keys.map((k) => [k.keyId, k.principalId, k.prefix, k.scopes.join(","), k.expiresAt ?? "never", k.revoked ? "revoked" : "active"]),
  );
}

export function formatGrants(cubeId: string, grants: readonly CubeGrant[]): string {
  if (grants.length === 0) return `(no grants on cube ${cubeId}; tenant roles still apply)`;
  return table(
    ["CUBE", "GRANTEE", "PERMISSION"],
    grants.map((g) => [cubeId, `${g.grantee.kind}:${g.grantee.id}`, g.permission]),
  );
}

export function formatReads(reads: readonly StoredReadRecord[]): string {
  if (reads.length === 0) return "(no reads recorded)";
  return table(
    ["SEQ", "AT", "PRINCIPAL", "ON BEHALF OF", "ACTION", "CUBES", "MEMORIES"],
    reads.map((r) => [String(r.seq), r.at, r.principalId, r.onBehalfOf ?? "-", r.action, r.cubeIds.join(",") || "-", truncate(r.memoryIds.join(",") || "-", 60)]),
  );
}

export function formatReadModelLag(lags: readonly ReadModelLag[]): string {
  return lags
    .map((l) => `${l.name.padEnd(12)} checkpoint ${l.checkpoint} of ${l.head}, ${l.behind} behind${l.rebuilding ? ", rebuilding" : ""}${l.lastError ? `, retrying after: ${l.lastError}` : ""}`)
    .join("\n");
}

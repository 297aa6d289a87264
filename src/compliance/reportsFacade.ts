import { createHash } from "node:crypto";
import type { AccessState } from "../../domain/governance/accessState.js";
import type { Resource } from "../../domain/governance/authorize.js";
import { invalidRequest } from "../command/appErrors.js";
import { canonicalJson } from "../command/canonicalJson.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
import type { ReadAuditLog, StoredReadRecord } from "../readAudit/readAuditPort.js";
import type { ComplianceStore } from "../readModels/compliance/complianceReadModel.js";
import { reportNotFound } from "./reportErrors.js";
import type { ErasureRow, GrantRow, ReadRow, ReportPage } from "../readModels/compliance/reportRows.js";
import type { KnowledgeEvidence, Paging, ReportsApi } from "./reportsApi.js";

const defaultLimit = 100;
const maxLimit = 1_000;
/** The evidence export is one answer, not pages: a cube larger than this is refused with a clear message. */
const maxEvidenceRows = 100_000;

/**
 * Pending erasures and legal holds for the erasure register. The legal-hold
 * feature (src/legalHold/) plugs in here; without it the register says that
 * it lists certificates only.
 */
export interface ErasureRegisterExtension {
  pendingAndHolds(tenantId: string): Promise<readonly ErasureRow[]>;
}

/** What the reports read: the compliance read model (caught up first), the read audit and the governance fold. */
export interface ReportSources {
  /** The compliance read model, caught up with the log as of the call. */
  store(): Promise<ComplianceStore>;
  readonly readAudit: ReadAuditLog;
  access(tenantId: string, asOf?: { readonly time: string }): Promise<AccessState>;
  certificates(subjectId: string, tenantId: string): Promise<readonly ErasureCertificate[]>;
  readonly erasureExtension?: ErasureRegisterExtension;
  now(): string;
}

/** Who asks: `check` is the policy gate for a principal, a no-op for trusted code. */
export interface ReportCaller {
  readonly tenantId: string;
  check(action: "report.read", resource: Resource, notFound: () => Error): Promise<void>;
}

const limitOf = (paging: Paging | undefined): number => {
  const limit = paging?.limit ?? defaultLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) throw invalidRequest("limit", `must be a whole number from 1 to ${maxLimit}, was ${limit}`);
  return limit;
};
const numericCursor = (paging: Paging | undefined): number => {
  if (paging?.after === undefined || paging.after === "") return 0;
  const after = Number(paging.after);
  if (!Number.isInteger(after) || after < 0) throw invalidRequest("after", `must be the \`next\` cursor of the previous page (a whole number), was ${JSON.stringify(paging.after)}`);
  return after;
};
const instant = (field: string, value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidRequest(field, `must be an ISO-8601 time such as 2026-01-31T12:00:00Z, was ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
};
const page = <Row>(report: string, rows: readonly Row[], limit: number, cursorOf: (row: Row) => string): ReportPage<Row> =>
  rows.length === limit && rows.length > 0 ? { report, rows, next: cursorOf(rows[rows.length - 1]!) } : { report, rows };
const readRow = (r: StoredReadRecord): ReadRow => ({
  seq: r.seq,
  at: r.at,
  tenant: r.tenantId,
  principalId: r.principalId,
  ...(r.onBehalfOf !== undefined ? { onBehalfOf: r.onBehalfOf } : {}),
  action: r.action,
  queryFingerprint: r.queryFingerprint,
  cubeIds: r.cubeIds,
  memoryIds: r.memoryIds,
  ...(r.requestId !== undefined ? { requestId: r.requestId } : {}),
});
export const evidenceDigest = (body: Omit<KnowledgeEvidence, "digest">): string => createHash("sha256").update(canonicalJson(body)).digest("hex");

/** The reports, written once for the trusted root ledger and for a principal. */
export function reportsFacade(sources: ReportSources, caller: ReportCaller): ReportsApi {
  const { tenantId } = caller;
  const allowed = () => caller.check("report.read", { tenantId }, () => reportNotFound("tenant", tenantId));

  /** Reads of any of `memoryIds`, merged in sequence order: one index lookup per unit. */
  const readsOfUnits = async (memoryIds: readonly string[], after: number, limit: number, from?: string, to?: string): Promise<ReadRow[]> => {
    const seen = new Map<number, StoredReadRecord>();
    for (const memoryId of memoryIds) {
      for (const r of await sources.readAudit.whoRead(memoryId, { tenantId, after, limit, ...(from ? { from } : {}), ...(to ? { to } : {}) })) seen.set(r.seq, r);
    }
    return [...seen.values()].sort((a, b) => a.seq - b.seq).slice(0, limit).map(readRow);
  };

  const knowledgeRows = async (cubeId: string, at: string, after: string, limit: number) => {
    const store = await sources.store();
    if (store.tenantOfCube(cubeId) !== tenantId) throw reportNotFound("cube", cubeId);
    return { store, rows: store.knowledgeAt(tenantId, cubeId, at, after, limit) };
  };

  return {
    changeLog: async (filter = {}, paging) => {
      await allowed();
      const limit = limitOf(paging);
      const from = instant("from", filter.from);
      const to = instant("to", filter.to);
      const store = await sources.store();
      const rows = store.changes({ tenantId, ...filter, ...(from ? { from } : {}), ...(to ? { to } : {}), after: numericCursor(paging), limit });
      return page("changeLog", rows, limit, (r) => String(r.position));
    },
    readLog: async (filter, paging) => {
      await allowed();
      const limit = limitOf(paging);
      if ((filter.memoryId === undefined) === (filter.principalId === undefined)) throw invalidRequest("memoryId", "give exactly one of memoryId (who read it) and principalId (what they read)");
      const from = instant("from", filter.from);
      const to = instant("to", filter.to);
      const query = { tenantId, after: numericCursor(paging), limit, ...(from ? { from } : {}), ...(to ? { to } : {}) };
      const records = filter.memoryId !== undefined ? await sources.readAudit.whoRead(filter.memoryId, query) : await sources.readAudit.readsBy(filter.principalId!, query);
      return page("readLog", records.map(readRow), limit, (r) => String(r.seq));
    },
    lineage: async (memoryId, paging) => {
      await allowed();
      const limit = limitOf(paging);
      const offset = numericCursor(paging);
      const rows = (await sources.store()).lineage(tenantId, memoryId);
      if (rows === undefined) throw reportNotFound("memory", memoryId);
      const slice = rows.slice(offset, offset + limit);
      return offset + limit < rows.length ? { report: "lineage", rows: slice, next: String(offset + limit) } : { report: "lineage", rows: slice };
    },
    knowledgeAt: async (cubeId, at, paging) => {
      await allowed();
      const limit = limitOf(paging);
      const { rows } = await knowledgeRows(cubeId, instant("at", at)!, paging?.after ?? "", limit);
      return page("knowledge", rows, limit, (r) => r.memoryId);
    },
    knowledgeEvidence: async (cubeId, at) => {
      await allowed();
      const moment = instant("at", at)!;
      const { store, rows } = await knowledgeRows(cubeId, moment, "", maxEvidenceRows + 1);
      if (rows.length > maxEvidenceRows) throw invalidRequest("cubeId", `cube ${cubeId} held more than ${maxEvidenceRows} units at ${moment}; export the paged knowledge report instead`);
      const body = {
        report: "knowledge" as const,
        request: { tenantId, cubeId, at: moment },
        logPosition: store.positionAt(moment),
        hashAlgorithm: "sha256(canonical JSON of {content, attributes})" as const,
        rows,
        generatedAt: sources.now(),
      };
      return { ...body, digest: evidenceDigest(body) };
    },
    erasures: async (period = {}, paging) => {
      await allowed();
      const limit = limitOf(paging);
      const from = instant("from", period.from);
      const to = instant("to", period.to);
      const store = await sources.store();
      const rows = store.erasures({ tenantId, after: numericCursor(paging), limit, ...(from ? { from } : {}), ...(to ? { to } : {}) });
      // A subject certificate's counts come from the certificate itself (the read model keeps only where it is).
      const detailed: ErasureRow[] = [];
      for (const row of rows) {
        if (row.kind !== "subject" || row.subjectId === undefined) {
          detailed.push(row);
          continue;
        }
        const certificate = (await sources.certificates(row.subjectId, tenantId)).find((c) => c.position === row.position);
        detailed.push(
          certificate === undefined
            ? row
            : { ...row, reason: certificate.reason, erasedUnits: certificate.erasedMemoryIds.length, alreadyErasedUnits: certificate.alreadyErasedMemoryIds.length, destroyedKeys: certificate.destroyedKeyIds.length },
        );
      }
      const result = page("erasures", detailed, limit, (r) => String(r.position));
      // Pending erasures and holds are current state, listed once, on the last page.
      if (result.next !== undefined || sources.erasureExtension === undefined) return result;
      return { ...result, rows: [...result.rows, ...(await sources.erasureExtension.pendingAndHolds(tenantId))] };
    },
    subjectAccess: async (subjectId, paging = {}) => {
      await allowed();
      const readLimit = limitOf(paging.reads);
      const changeLimit = limitOf(paging.changes);
      const store = await sources.store();
      const units = store.unitsOfSubject(tenantId, subjectId);
      const reads = await readsOfUnits(units, numericCursor(paging.reads), readLimit);
      const changes = store.changes({ tenantId, subjectId, after: numericCursor(paging.changes), limit: changeLimit });
      return {
        report: "subjectAccess",
        subjectId,
        reads: page("subjectAccess.reads", reads, readLimit, (r) => String(r.seq)),
        changes: page("subjectAccess.changes", changes, changeLimit, (r) => String(r.position)),
      };
    },
    grants: async (at, paging) => {
      await allowed();
      const limit = limitOf(paging);
      const offset = numericCursor(paging);
      const moment = instant("at", at);
      const access = await sources.access(tenantId, moment !== undefined ? { time: moment } : undefined);
      const rows: GrantRow[] = [];
      for (const p of Object.values(access.principals).sort((a, b) => a.principalId.localeCompare(b.principalId))) {
        rows.push({ kind: "principal", principalId: p.principalId, principalKind: p.kind, disabled: p.disabled });
        for (const role of [...p.roles].sort()) rows.push({ kind: "role", principalId: p.principalId, role });
        for (const group of [...p.groups].sort()) rows.push({ kind: "group", principalId: p.principalId, group });
      }
      for (const cubeId of Object.keys(access.cubeGrants).sort()) {
        for (const g of access.cubeGrants[cubeId]!) rows.push({ kind: "cube_grant", cubeId, granteeKind: g.grantee.kind, granteeId: g.grantee.id, permission: g.permission });
      }
      const slice = rows.slice(offset, offset + limit);
      return offset + limit < rows.length ? { report: "grants", rows: slice, next: String(offset + limit) } : { report: "grants", rows: slice };
    },
  };
}

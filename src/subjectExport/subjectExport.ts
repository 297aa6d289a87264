import type { AsOf } from "../../projections/asOf.js";
import type { HistoryEntry } from "../../projections/memoryHistory.js";
import type { MemoryView } from "../../projections/memoryView.js";
import { invalidRequest } from "../command/appErrors.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
import type { ReadAuditLog, ReadRecord, StoredReadRecord } from "../readAudit/readAuditPort.js";
import type { UnredactedRecordView } from "../redaction/redactionService.js";
import {
  defaultExportPageSize,
  maxExportPageSize,
  subjectExportFormatVersion,
  subjectSelectionRule,
  type ExportedChange,
  type ExportedMemory,
  type ExportedVersion,
  type SubjectExportDocument,
  type SubjectExportPaging,
} from "./subjectExportDocument.js";

/** What an export reads, all trusted (the caller was authorized for `subject.export` before). */
export interface SubjectExportSources {
  /** The subject's units in the tenant, in log order (subjectUnits.ts). */
  unitIds(subjectId: string, tenantId: string): Promise<readonly string[]>;
  get(memoryId: string, asOf?: AsOf): Promise<MemoryView>;
  history(memoryId: string): Promise<readonly HistoryEntry[]>;
  certificates(subjectId: string, tenantId: string): Promise<readonly ErasureCertificate[]>;
  /** What ingest redaction masked in a unit, with its sealed clear originals; absent where redaction is not wired. */
  redactions?(memoryId: string): Promise<readonly UnredactedRecordView[]>;
  readonly readAudit: Pick<ReadAuditLog, "whoRead" | "record">;
  now(): string;
}

/** Who asked, as the read audit records them. */
export interface ExportRequester {
  readonly tenantId: string;
  readonly principalId: string;
  readonly onBehalfOf?: string;
  readonly requestId?: string;
  /** Fingerprint of the request, computed by the caller's facade like its other reads. */
  readonly queryFingerprint: string;
}

/** Events that set a unit's content: each starts a version the subject may ask to see. */
const contentEvents = new Set(["MemoryCreated", "MemoryEdited", "MemoryReverted"]);
/** The read audit's own page size (its maximum). */
const readPage = 1_000;

const pageSizeOf = (limit: number | undefined): number => {
  if (limit === undefined) return defaultExportPageSize;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxExportPageSize) throw invalidRequest("limit", `must be an integer from 1 to ${maxExportPageSize} (units per page)`);
  return limit;
};

/**
 * One page of a subject's access export, recorded in the read audit as one
 * `export` read of the units it returns (the export is itself a read of
 * personal data). Per unit it reads the current state, each version's content
 * (as of that revision), the history and every audited read.
 */
export async function exportSubject(sources: SubjectExportSources, requester: ExportRequester, subjectId: string, paging: SubjectExportPaging = {}): Promise<SubjectExportDocument> {
  if (typeof subjectId !== "string" || subjectId.trim() === "") throw invalidRequest("subjectId", "must be a non-empty string");
  const limit = pageSizeOf(paging.limit);
  const tenantId = requester.tenantId;
  const generatedAt = sources.now();
  const all = await sources.unitIds(subjectId, tenantId);
  let start = 0;
  if (paging.after !== undefined) {
    const at = all.indexOf(paging.after);
    if (at < 0) throw invalidRequest("after", `${paging.after} is not a unit of subject ${subjectId} in this tenant; give the nextCursor of the previous page`);
    start = at + 1;
  }
  const pageIds = all.slice(start, start + limit);
  const certificates = await sources.certificates(subjectId, tenantId);
  const certificateOf = (memoryId: string) =>
    certificates.find((c) => c.erasedMemoryIds.includes(memoryId)) ?? certificates.find((c) => c.alreadyErasedMemoryIds.includes(memoryId));

  const memories: ExportedMemory[] = [];
  const changes: ExportedChange[] = [];
  const reads = new Map<number, StoredReadRecord>();
  const ours = new Set(pageIds);
  for (const memoryId of pageIds) {
    const unit = await sources.get(memoryId);
    const history = await sources.history(memoryId);
    const versions: ExportedVersion[] = [];
    for (const entry of history) {
      if (!contentEvents.has(entry.type)) continue;
      const then = entry.revision === unit.revision ? unit : await sources.get(memoryId, { revision: entry.revision });
      versions.push({
        revision: entry.revision,
        version: entry.versionAfter,
        type: entry.type,
        recordedAt: entry.recordedAt,
        actor: entry.actor,
        ...(entry.onBehalfOf !== undefined ? { onBehalfOf: entry.onBehalfOf } : {}),
        ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
        content: then.content,
        attributes: then.attributes,
      });
    }
    for (const entry of history) changes.push({ memoryId, ...entry });
    const certificate = unit.status === "erased" ? certificateOf(memoryId) : undefined;
    const redactions = (await sources.redactions?.(memoryId)) ?? [];
    memories.push({
      memoryId,
      cubeId: unit.cubeId,
      status: unit.status,
      revision: unit.revision,
      version: unit.version,
      content: unit.content,
      attributes: unit.attributes,
      sources: unit.content?.sources ?? [],
      createdAt: unit.createdAt,
      createdBy: unit.createdBy,
      updatedAt: unit.updatedAt,
      updatedBy: unit.updatedBy,
      ...(unit.successorId !== undefined ? { successorId: unit.successorId } : {}),
      versions,
      ...(redactions.length > 0 ? { redactions } : {}),
      ...(certificate !== undefined ? { erasureCertificateEventId: certificate.eventId } : {}),
    });
    for (const read of await allReadsOf(sources.readAudit, memoryId, tenantId)) {
      // A search that returned this unit among others' is listed once, naming only the subject's units.
      const seen = reads.get(read.seq);
      const shown = [...new Set([...(seen?.memoryIds ?? []), ...read.memoryIds.filter((id) => ours.has(id))])];
      reads.set(read.seq, { ...read, memoryIds: shown });
    }
  }
  const last = pageIds[pageIds.length - 1];
  const nextCursor = start + pageIds.length < all.length ? last : undefined;
  const document: SubjectExportDocument = {
    formatVersion: subjectExportFormatVersion,
    generatedAt,
    tenant: tenantId,
    subjectId,
    requestedBy: requester.principalId,
    selection: subjectSelectionRule,
    page: { limit, ...(paging.after !== undefined ? { after: paging.after } : {}), ...(nextCursor !== undefined ? { nextCursor } : {}), totalMemories: all.length },
    memories,
    reads: [...reads.values()].sort((a, b) => a.seq - b.seq),
    changes: changes.sort((a, b) => a.position - b.position),
    certificates,
  };
  const record: ReadRecord = {
    at: generatedAt,
    tenantId,
    principalId: requester.principalId,
    ...(requester.onBehalfOf !== undefined ? { onBehalfOf: requester.onBehalfOf } : {}),
    action: "export",
    queryFingerprint: requester.queryFingerprint,
    cubeIds: [...new Set(memories.map((m) => m.cubeId))],
    memoryIds: pageIds,
    ...(requester.requestId !== undefined ? { requestId: requester.requestId } : {}),
  };
  sources.readAudit.record(record);
  return document;
}

/** Every read of one unit, following the read audit's pages to the end. */
async function allReadsOf(readAudit: Pick<ReadAuditLog, "whoRead">, memoryId: string, tenantId: string): Promise<StoredReadRecord[]> {
  const out: StoredReadRecord[] = [];
  let after = 0;
  for (;;) {
    const page = await readAudit.whoRead(memoryId, { tenantId, after, limit: readPage });
    out.push(...page);
    if (page.length < readPage) return out;
    after = Math.max(...page.map((r) => r.seq));
  }
}

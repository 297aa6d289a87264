import type { MemoryAttributes, MemorySource } from "../../domain/memory/memoryContent.js";
import type { MemoryStatus, ShreddableContent } from "../../domain/memory/memoryEvents.js";
import type { HistoryEntry } from "../../projections/memoryHistory.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
import type { UnredactedRecordView } from "../redaction/redactionService.js";
import type { StoredReadRecord } from "../readAudit/readAuditPort.js";

/**
 * What a data subject is given on an access request (GDPR art. 15) and can
 * carry elsewhere (art. 20): every unit that names them in one tenant, each
 * version of it, who read it and who changed it. The JSON schema of this
 * shape is `subjectExportJsonSchema` (src/subjectExport/subjectExportSchema.ts)
 * and docs/compliance.md; a change that breaks readers bumps `formatVersion`.
 */
export const subjectExportFormatVersion = 1;

/** One state of a unit's content: what it said from this revision on, and who made it say so. */
export interface ExportedVersion {
  readonly revision: number;
  readonly version: number;
  /** MemoryCreated, MemoryEdited or MemoryReverted: the events that set content. */
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly onBehalfOf?: string;
  readonly reason?: string;
  /** null once the unit's data key is destroyed (erased): the text is gone for good, only the fact of it remains. */
  readonly content: ShreddableContent;
  readonly attributes: MemoryAttributes;
}

export interface ExportedMemory {
  readonly memoryId: string;
  readonly cubeId: string;
  readonly status: MemoryStatus;
  readonly revision: number;
  readonly version: number;
  /** The current content, decrypted; null when erased. */
  readonly content: ShreddableContent;
  readonly attributes: MemoryAttributes;
  /** Where the remembered thing came from (the current content's sources; empty when erased). */
  readonly sources: readonly MemorySource[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly successorId?: string;
  readonly versions: readonly ExportedVersion[];
  /**
   * What ingest redaction masked in this unit, with the clear originals where the cube kept them sealed
   * (they are the subject's data too); absent when nothing was masked.
   */
  readonly redactions?: readonly UnredactedRecordView[];
  /** For an erased unit: the event id of the erasure certificate that lists it, when a subject erasure did it. */
  readonly erasureCertificateEventId?: string;
}

/** One line of a unit's history (an event), with the unit it belongs to. */
export type ExportedChange = HistoryEntry & { readonly memoryId: string };

/** One read of a unit recorded by the read audit (who, when, which action); `memoryIds` lists only the subject's units. */
export type ExportedRead = StoredReadRecord;

/** Where this page sits among the subject's units (ordered by when each unit first appeared in the log). */
export interface ExportPage {
  readonly limit: number;
  /** The cursor this page was asked with (a memory id), if any. */
  readonly after?: string;
  /** Give this as `after` to get the next page; absent on the last page. */
  readonly nextCursor?: string;
  /** How many units the subject has in this tenant, across all pages. */
  readonly totalMemories: number;
}

export interface SubjectExportDocument {
  readonly formatVersion: typeof subjectExportFormatVersion;
  readonly generatedAt: string;
  readonly tenant: string;
  readonly subjectId: string;
  /** Who asked: the principal id, or the trusted actor for in-process and local-operator exports. */
  readonly requestedBy: string;
  /** Which units count as the subject's: the same rule as erasure, so export and erasure agree on "the subject's data". */
  readonly selection: string;
  readonly page: ExportPage;
  readonly memories: readonly ExportedMemory[];
  readonly reads: readonly ExportedRead[];
  readonly changes: readonly ExportedChange[];
  readonly certificates: readonly ErasureCertificate[];
}

/** Paging of an export: the units after a cursor, at most `limit` (default 100, at most 1,000) per page. */
export interface SubjectExportPaging {
  readonly after?: string;
  readonly limit?: number;
}

export const defaultExportPageSize = 100;
export const maxExportPageSize = 1_000;

export const subjectSelectionRule =
  "units whose events, written in this tenant, carry metadata.subjectId = the subject id (set at creation from subjectId, else content.userId): the rule erasure uses";

import type { ChangeRow, ErasureRow, GrantRow, KnowledgeRow, LineageRow, ReadRow, ReportPage } from "../readModels/compliance/reportRows.js";

/** One page: rows after the cursor `after` (as returned in `next`), at most `limit` (default 100, at most 1,000). */
export interface Paging {
  readonly after?: string;
  readonly limit?: number;
}

/** Inclusive ISO-8601 bounds on when a thing was recorded. */
export interface Period {
  readonly from?: string;
  readonly to?: string;
}

export interface ChangeLogFilter extends Period {
  readonly actor?: string;
  readonly cubeId?: string;
  readonly memoryId?: string;
  readonly type?: string;
}

/** Give exactly one: who read memory X, or what principal P read. */
export type ReadLogFilter = Period & ({ readonly memoryId: string; readonly principalId?: undefined } | { readonly principalId: string; readonly memoryId?: undefined });

/** "What did the agent know at T" as evidence: the request, the log position it stands for, every row and a digest over them. */
export interface KnowledgeEvidence {
  readonly report: "knowledge";
  readonly request: { readonly tenantId: string; readonly cubeId: string; readonly at: string };
  /** The last log position whose whole prefix was recorded at or before `at`. */
  readonly logPosition: number;
  readonly hashAlgorithm: "sha256(canonical JSON of {content, attributes})";
  readonly rows: readonly KnowledgeRow[];
  /** SHA-256 of the canonical JSON of every field above. */
  readonly digest: string;
  readonly generatedAt: string;
}

/** Compliance reports of the caller's tenant (action `report.read`), served from the compliance read model and the read audit. */
export interface ReportsApi {
  changeLog(filter?: ChangeLogFilter, paging?: Paging): Promise<ReportPage<ChangeRow>>;
  readLog(filter: ReadLogFilter, paging?: Paging): Promise<ReportPage<ReadRow>>;
  lineage(memoryId: string, paging?: Paging): Promise<ReportPage<LineageRow>>;
  knowledgeAt(cubeId: string, at: string, paging?: Paging): Promise<ReportPage<KnowledgeRow>>;
  knowledgeEvidence(cubeId: string, at: string): Promise<KnowledgeEvidence>;
  erasures(period?: Period, paging?: Paging): Promise<ReportPage<ErasureRow>>;
  /** Every read of the subject's units and every change recorded with the subject's id: two sections, each its own cursor. */
  subjectAccess(subjectId: string, paging?: { readonly reads?: Paging; readonly changes?: Paging }): Promise<{ readonly report: "subjectAccess"; readonly subjectId: string; readonly reads: ReportPage<ReadRow>; readonly changes: ReportPage<ChangeRow> }>;
  /** Principals, their roles and groups, and every cube grant, as they stood at `at` (now when absent). */
  grants(at?: string, paging?: Paging): Promise<ReportPage<GrantRow>>;
}

/** The CSV columns of each report, in order. */
export const reportColumns = {
  changeLog: ["position", "recordedAt", "tenant", "actor", "onBehalfOf", "reason", "streamId", "memoryId", "cubeId", "subjectId", "type", "revision"],
  readLog: ["seq", "at", "tenant", "principalId", "onBehalfOf", "action", "queryFingerprint", "cubeIds", "memoryIds", "requestId"],
  lineage: ["memoryId", "relation", "position", "recordedAt", "version", "revision", "otherMemoryId", "cubeId", "sourceKind", "sourceRef"],
  knowledge: ["memoryId", "status", "version", "revision", "position", "contentSha256"],
  erasures: ["position", "recordedAt", "tenant", "kind", "subjectId", "memoryId", "actor", "reason", "erasedUnits", "alreadyErasedUnits", "destroyedKeys"],
  grants: ["kind", "principalId", "principalKind", "disabled", "role", "group", "cubeId", "granteeKind", "granteeId", "permission"],
} as const;
export type ReportName = keyof typeof reportColumns;

/**
 * The rows of the compliance reports. Ids, times and classifications only:
 * no report ever carries decrypted memory content.
 */

/** One event of the log as the change log shows it. */
export interface ChangeRow {
  readonly position: number;
  readonly recordedAt: string;
  readonly tenant: string;
  readonly actor: string;
  readonly onBehalfOf?: string;
  readonly reason?: string;
  readonly streamId: string;
  readonly memoryId?: string;
  readonly cubeId?: string;
  readonly subjectId?: string;
  readonly type: string;
  readonly revision: number;
}

/** One read-audit record as the read log and the access report show it. */
export interface ReadRow {
  readonly seq: number;
  readonly at: string;
  readonly tenant: string;
  readonly principalId: string;
  readonly onBehalfOf?: string;
  readonly action: string;
  readonly queryFingerprint: string;
  readonly cubeIds: readonly string[];
  readonly memoryIds: readonly string[];
  readonly requestId?: string;
}

export type LineageRelation =
  | "source" // content.sources of a version
  | "version" // a content version of the unit
  | "merged_into" // the unit was merged into `otherMemoryId`
  | "merged_from" // `otherMemoryId` was merged into the unit
  | "branched_to" // copied to a branch cube as `otherMemoryId`
  | "branched_from" // the unit is a branch copy of `otherMemoryId`
  | "derived"; // `otherMemoryId` names the unit among its sources

export interface LineageRow {
  readonly memoryId: string;
  readonly relation: LineageRelation;
  readonly position: number;
  readonly recordedAt: string;
  readonly version?: number;
  readonly revision?: number;
  readonly otherMemoryId?: string;
  readonly cubeId?: string;
  readonly sourceKind?: string;
  readonly sourceRef?: string;
}

/** A unit of a cube as it stood at a moment. */
export interface KnowledgeRow {
  readonly memoryId: string;
  readonly status: string;
  readonly version: number;
  readonly revision: number;
  /** The log position of the unit's last event at or before the moment. */
  readonly position: number;
  /** SHA-256 of the canonical JSON of {content, attributes} at the moment; absent once the unit is erased. */
  readonly contentSha256?: string;
}

export interface ErasureRow {
  readonly position: number;
  readonly recordedAt: string;
  readonly tenant: string;
  readonly kind: "subject" | "memory" | "pending" | "hold";
  readonly subjectId?: string;
  readonly memoryId?: string;
  readonly actor: string;
  readonly reason?: string;
  /** Subject certificates: how many units were erased, and how many already were. */
  readonly erasedUnits?: number;
  readonly alreadyErasedUnits?: number;
  readonly destroyedKeys?: number;
}

export interface GrantRow {
  readonly kind: "role" | "group" | "cube_grant" | "principal";
  readonly principalId?: string;
  readonly principalKind?: string;
  readonly disabled?: boolean;
  readonly role?: string;
  readonly group?: string;
  readonly cubeId?: string;
  readonly granteeKind?: string;
  readonly granteeId?: string;
  readonly permission?: string;
}

/** Every report answer: one page of rows and the cursor of the next page, if any. */
export interface ReportPage<Row> {
  readonly report: string;
  readonly rows: readonly Row[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

import type { CubeOwner } from "../../domain/cube/cubeEvents.js";
import type { CubeGrant } from "../../domain/governance/accessState.js";
import type { MemoryAttributes, MemoryContent } from "../../domain/memory/memoryContent.js";
import type { MemoryStatus } from "../../domain/memory/memoryEvents.js";
import type { AutomationProvenance } from "../../projections/envelope.js";

/**
 * The records of a cube interchange file (docs/interchange.md): one JSON object
 * per line, in this order: manifest, cube, units (history or current state),
 * grants, trailer. Every record carries its sequence number and the SHA-256 of
 * its own canonical JSON, so an importer names the first record that changed.
 */
export const interchangeFormat = "memledger-cube/1";

export interface ExportOptions {
  /** Only the units as they are now, no history: for another engine or model. */
  readonly currentState?: boolean;
  /** The cube's grants, for the record (an import does not apply them). */
  readonly includeGrants?: boolean;
}

interface Hashed {
  readonly seq: number;
  /** SHA-256 (hex) of the record's canonical JSON without this field. */
  readonly sha256: string;
}

export interface ManifestRecord extends Hashed {
  readonly kind: "manifest";
  readonly format: typeof interchangeFormat;
  /** Stable per event log: a digest of its first event's id. */
  readonly sourceInstanceId: string;
  readonly exportedAt: string;
  readonly exportedBy: string;
  readonly cubeId: string;
  readonly options: { readonly currentState: boolean; readonly includeGrants: boolean };
  /** The model the source's vector read model embeds with; vectors never travel, the target embeds with its own. */
  readonly embeddingModel: string | null;
}

export interface CubeRecord extends Hashed {
  readonly kind: "cube";
  readonly cubeId: string;
  readonly name: string;
  readonly owner: CubeOwner;
  readonly description?: string;
  readonly branchedFrom?: { readonly cubeId: string; readonly asOf: string };
  readonly createdAt: string;
  readonly createdBy: string;
}

/** An event's envelope as the source stored it, minus its key and (for erased units) its subject. */
export interface ExportedMetadata {
  readonly tenantId: string;
  readonly actor: string;
  readonly onBehalfOf?: string;
  readonly reason?: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly commandId?: string;
  readonly subjectId?: string;
  readonly recordedAt: string;
  readonly automation?: AutomationProvenance;
}

export interface ExportedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly revision: number;
  readonly position: number;
  /** As stored, with content decrypted (null where it was shredded). */
  readonly data: Record<string, unknown>;
  readonly metadata: ExportedMetadata;
}

/** One unit and its whole event history, imported atomically. */
export interface UnitHistoryRecord extends Hashed {
  readonly kind: "unit";
  readonly memoryId: string;
  /** True when the unit was erased: every content is null and no subject travels. */
  readonly erased: boolean;
  readonly events: readonly ExportedEvent[];
}

/** One unit as it is now (the `currentState` option). */
export interface UnitStateRecord extends Hashed {
  readonly kind: "unitState";
  readonly memoryId: string;
  readonly status: MemoryStatus;
  readonly content: MemoryContent | null;
  readonly attributes: MemoryAttributes;
  readonly successorId?: string;
  readonly subjectId?: string;
  readonly revision: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

export interface GrantRecord extends Hashed {
  readonly kind: "grant";
  readonly grant: CubeGrant;
}

export interface TrailerRecord extends Hashed {
  readonly kind: "trailer";
  /** Records before the trailer (manifest included). */
  readonly records: number;
  readonly units: number;
  readonly events: number;
  /** SHA-256 over the `sha256` of every record before the trailer, in order. */
  readonly digest: string;
}

export type InterchangeRecord = ManifestRecord | CubeRecord | UnitHistoryRecord | UnitStateRecord | GrantRecord | TrailerRecord;
export type RecordKind = InterchangeRecord["kind"];

/** A record before it is numbered and hashed. */
export type Unhashed<R extends InterchangeRecord> = R extends InterchangeRecord ? Omit<R, "seq" | "sha256"> : never;

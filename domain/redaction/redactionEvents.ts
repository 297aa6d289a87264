import type { KeepOriginal, RedactionCounts, RedactionSettings } from "./redactionSettings.js";

/**
 * A cube's redaction setting changed. Kept on its own stream
 * (`redaction-settings-<cubeId>`), not the cube's: every create reads the
 * latest setting, and the cube stream grows with every unit registered in it.
 */
export type CubeRedactionConfigured = {
  readonly type: "CubeRedactionConfigured";
  readonly data: { readonly cubeId: string; readonly settings: RedactionSettings };
};

/**
 * Personal data was masked in a unit at ingest (stream `redaction-record-<memoryId>`).
 * Counts per kind and the fields touched, never the values; with keepOriginal
 * "sealed" the clear originals ride along encrypted with the unit's data key,
 * so erasing the unit or its subject shreds them too.
 */
export type MemoryRedacted = {
  readonly type: "MemoryRedacted";
  readonly data: {
    readonly memoryId: string;
    readonly cubeId: string;
    readonly operation: "create" | "edit";
    /** The unit's revision the masked content was written at. */
    readonly revision: number;
    readonly kinds: RedactionCounts;
    readonly fields: readonly string[];
    readonly keepOriginal: KeepOriginal;
    /** A SealedValue of OriginalContent, present only when keepOriginal is "sealed". */
    readonly original?: unknown;
  };
};

/** The clear values of the fields that were masked. */
export interface OriginalContent {
  readonly text?: string;
  readonly key?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export const redactionEventCatalog = {
  CubeRedactionConfigured: { schemaVersion: 1 },
  MemoryRedacted: { schemaVersion: 1 },
} as const;

// Distinct prefixes, so no cube id and memory id can ever name the same stream.
export const redactionSettingsStreamId = (cubeId: string): string => `redaction-settings-${cubeId}`;
export const redactionRecordStreamId = (memoryId: string): string => `redaction-record-${memoryId}`;

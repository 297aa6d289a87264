import { diffWords } from "diff";
import { sameValue } from "../domain/memory/memoryContent.js";
import type { ExistingMemory } from "../domain/memory/memoryState.js";

export interface FieldChange {
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface TextChunk {
  readonly op: "equal" | "insert" | "delete";
  readonly text: string;
}

export interface MemoryDiff {
  readonly memoryId: string;
  readonly fromRevision: number;
  readonly toRevision: number;
  readonly changes: readonly FieldChange[];
  /** Word-level diff of the text, when the text changed and both sides are readable. */
  readonly textDiff?: readonly TextChunk[];
  /** True when either side's content was shredded and cannot be compared. */
  readonly contentUnavailable: boolean;
}

/** Field-by-field difference between two states of the same unit. */
export function diffMemory(from: ExistingMemory, to: ExistingMemory): MemoryDiff {
  const changes: FieldChange[] = [];
  const compare = (field: string, before: unknown, after: unknown) => {
    if (!sameValue(before, after)) changes.push({ field, before: before ?? null, after: after ?? null });
  };
  compare("status", from.status, to.status);
  compare("version", from.version, to.version);
  compare("successorId", from.successorId, to.successorId);
  compare("frozen", from.frozen, to.frozen);
  const contentUnavailable = from.content === null || to.content === null;
  if (!contentUnavailable) {
    const a = from.content as unknown as Record<string, unknown>;
    const b = to.content as unknown as Record<string, unknown>;
    for (const key of union(Object.keys(a), Object.keys(b))) compare(`content.${key}`, a[key], b[key]);
  }
  const fa = from.attributes as unknown as Record<string, unknown>;
  const fb = to.attributes as unknown as Record<string, unknown>;
  for (const key of union(Object.keys(fa), Object.keys(fb))) compare(`attributes.${key}`, fa[key], fb[key]);
  const textChanged = !contentUnavailable && from.content!.text !== to.content!.text;
  return {
    memoryId: to.memoryId,
    fromRevision: from.revision,
    toRevision: to.revision,
    changes,
    ...(textChanged
      ? {
          textDiff: diffWords(from.content!.text, to.content!.text).map((part) => ({
            op: part.added ? ("insert" as const) : part.removed ? ("delete" as const) : ("equal" as const),
            text: part.value,
          })),
        }
      : {}),
    contentUnavailable,
  };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

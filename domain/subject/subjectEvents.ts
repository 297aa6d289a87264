/**
 * Facts about a data subject (stream `subject-<id>`): the erasure certificate.
 * Holds ids only, never personal content, so it survives the erasure it proves.
 */
export type SubjectErased = {
  readonly type: "SubjectErased";
  readonly data: {
    readonly subjectId: string;
    readonly reason: string;
    readonly destroyedKeyIds: readonly string[];
    readonly erasedMemoryIds: readonly string[];
    /** Units that were already erased before this request. */
    readonly alreadyErasedMemoryIds: readonly string[];
    /** Units a legal hold kept from this erasure, each with the holds and its pending erasure (absent before holds existed). */
    readonly heldMemoryIds?: readonly { readonly memoryId: string; readonly holdIds: readonly string[]; readonly pendingErasureId?: string }[];
  };
};

export type SubjectEvent = SubjectErased;

export const subjectEventCatalog = { SubjectErased: { schemaVersion: 1 } } as const;

export const subjectStreamId = (subjectId: string): string => `subject-${subjectId}`;

import { defaultAttributes, type MemoryContent } from "../../../domain/memory/memoryContent.js";
import type { BranchOrigin, MemoryEvent, MemoryStatus } from "../../../domain/memory/memoryEvents.js";
import type { CubeEvent } from "../../../domain/cube/cubeEvents.js";
import type { ProjectionEvent } from "../../../projections/projectionEvent.js";

/**
 * Hand-built projection events for graph tests and the graph contract: each
 * call appends one event to an imaginary log, with the next global position,
 * the next stream revision and a recorded time one step (default a minute)
 * after the previous event.
 */
export interface ProjectionEventLog {
  created(memoryId: string, content: MemoryContent | null, options?: { cubeId?: string; branchedFrom?: BranchOrigin }): ProjectionEvent;
  edited(memoryId: string, content: MemoryContent | null): ProjectionEvent;
  reverted(memoryId: string, content: MemoryContent | null, options?: { toRevision?: number; status?: Exclude<MemoryStatus, "frozen" | "erased">; successorId?: string }): ProjectionEvent;
  merged(memoryId: string, successorId: string): ProjectionEvent;
  archived(memoryId: string): ProjectionEvent;
  restored(memoryId: string): ProjectionEvent;
  erased(memoryId: string): ProjectionEvent;
  cubeCreated(cubeId: string, name: string): ProjectionEvent;
  /** An event the graph does not know (it must still move the checkpoint). */
  unrelated(): ProjectionEvent;
  /** Position and recorded time of the last event built. */
  readonly last: { readonly position: number; readonly time: string };
}

/** Content with defaults for the fields a test does not care about. */
export function contentOf(text: string, extra: Partial<Omit<MemoryContent, "text">> = {}): MemoryContent {
  return { text, tags: [], sources: [], metadata: {}, ...extra };
}

export function projectionEventLog(options: { firstPosition?: number; startTime?: string; stepMs?: number } = {}): ProjectionEventLog {
  let position = (options.firstPosition ?? 1) - 1;
  let millis = Date.parse(options.startTime ?? "2026-03-01T09:00:00.000Z");
  const stepMs = options.stepMs ?? 60_000;
  const revisions = new Map<string, number>();
  const versions = new Map<string, number>();
  let last = { position: 0, time: "" };

  const envelope = (streamId: string, type: string) => {
    position += 1;
    millis += stepMs;
    const revision = revisions.get(streamId) ?? 0;
    revisions.set(streamId, revision + 1);
    const recordedAt = new Date(millis).toISOString();
    last = { position, time: recordedAt };
    return {
      eventId: `event-${position}`,
      type,
      schemaVersion: 1,
      streamId,
      revision,
      position,
      metadata: { tenantId: "tenant-1", actor: "user:test", correlationId: `correlation-${position}`, recordedAt },
    };
  };
  const memory = (event: MemoryEvent): ProjectionEvent => ({
    kind: "memory",
    envelope: envelope(`memory-${event.data.memoryId}`, event.type),
    event,
  });
  const cube = (event: CubeEvent): ProjectionEvent => ({ kind: "cube", envelope: envelope(`cube-${event.data.cubeId}`, event.type), event });
  const nextVersion = (memoryId: string) => {
    const version = (versions.get(memoryId) ?? 1) + 1;
    versions.set(memoryId, version);
    return version;
  };

  return {
    created: (memoryId, content, { cubeId = "cube-1", branchedFrom } = {}) =>
      memory({
        type: "MemoryCreated",
        data: { memoryId, cubeId, content, attributes: defaultAttributes, ...(branchedFrom !== undefined ? { branchedFrom } : {}) },
      }),
    edited: (memoryId, content) =>
      memory({ type: "MemoryEdited", data: { memoryId, version: nextVersion(memoryId), content, attributes: defaultAttributes, changedFields: ["text"] } }),
    reverted: (memoryId, content, { toRevision = 0, status = "activated", successorId } = {}) =>
      memory({
        type: "MemoryReverted",
        data: {
          memoryId,
          toRevision,
          version: nextVersion(memoryId),
          status,
          content,
          attributes: defaultAttributes,
          ...(successorId !== undefined ? { successorId } : {}),
        },
      }),
    merged: (memoryId, successorId) => memory({ type: "MemoryMerged", data: { memoryId, successorId } }),
    archived: (memoryId) => memory({ type: "MemoryArchived", data: { memoryId } }),
    restored: (memoryId) => memory({ type: "MemoryRestored", data: { memoryId } }),
    erased: (memoryId) => memory({ type: "MemoryErased", data: { memoryId, scope: "memory", keyId: `key-${memoryId}` } }),
    cubeCreated: (cubeId, name) => cube({ type: "CubeCreated", data: { cubeId, name, owner: { kind: "user", id: "owner-1" } } }),
    unrelated: () => ({ kind: "other", envelope: envelope("subject-1", "SubjectKeyCreated") }),
    get last() {
      return last;
    },
  };
}

import { Effect } from "effect";
import { exists } from "../../domain/memory/memoryState.js";
import type { MemoryView } from "../../projections/memoryView.js";
import { invalidRequest, memoryNotFound } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { TransitionRejected } from "../../domain/memory/domainErrors.js";
import { CubeService } from "../cube/cubeService.js";
import { HoldRegistry } from "../holdCheck/holdRegistry.js";
import { holdsCovering } from "../../domain/legalHold/holdState.js";
import { legalHoldActive } from "../holdCheck/legalHoldErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import { MemoryRepository } from "../memory/memoryRepository.js";
import { MemoryService, type NewMemoryInput } from "../memory/memoryService.js";

export const transferModes = ["copy", "move"] as const;
export type TransferMode = (typeof transferModes)[number];

export interface TransferRequest {
  readonly targetCubeId: string;
  readonly mode: TransferMode;
}

export interface TransferReport {
  readonly mode: TransferMode;
  /** The source unit after the transfer: unchanged for a copy, archived with `movedTo` for a move. */
  readonly source: MemoryView;
  /** The new unit in the target cube, with `copiedFrom` naming the source and its revision. */
  readonly copy: MemoryView;
}

/** Units whose content can be copied; a move also needs the source activated (it archives it). */
const copyable = new Set(["activated", "archived", "frozen"]);

/**
 * Copy or move a unit to another cube of the same tenant.
 *
 * Copy: a new unit in the target cube carrying the source's current content and
 * attributes and `copiedFrom: { cubeId, memoryId, revision }`; it is created
 * through the memory service like any unit, so the target cube's redaction
 * applies and its content is sealed under a fresh data key of the right subject
 * (the source's data subject; a unit that belonged to no one but its cube,
 * subject `cube:<source>`, belongs to `cube:<target>` instead).
 *
 * Move: the copy, then the source archived with `movedTo` naming the copy. Not a
 * merge: a merge pointer never leaves its cube (the lifecycle machine refuses it,
 * so a tenant's or cube's boundary is never crossed by a successor link), while an
 * archived source stays readable with its whole history, drops out of search, and
 * can be restored. Lineage is walkable both ways: copy.copiedFrom -> source,
 * source.movedTo -> copy. A unit under legal hold is not moved (409 LegalHoldActive
 * naming the holds, before anything is written); it may be copied, since a copy
 * changes nothing in the held unit, and a hold on its subject covers the copy too.
 *
 * With a command id (Idempotency-Key) the copy's id follows from it, so a retry
 * after a crash between the two steps finds the copy and finishes the move.
 */
export const transferMemory = (memoryId: string, request: TransferRequest, ctx: CommandContext) =>
  Effect.gen(function* () {
    if (!transferModes.includes(request.mode)) return yield* Effect.fail(invalidRequest("mode", `must be one of ${transferModes.join(", ")}`));
    if (typeof request.targetCubeId !== "string" || request.targetCubeId === "") return yield* Effect.fail(invalidRequest("targetCubeId", "must be a non-empty cube id"));
    const memories = yield* MemoryService;
    const cubes = yield* CubeService;
    const repo = yield* MemoryRepository;
    const ids = yield* IdGenerator;
    const source = yield* memories.get(memoryId);
    // A unit of another tenant answers as a missing one.
    if ((yield* cubes.tenantOf(source.cubeId)) !== ctx.tenantId) return yield* Effect.fail(memoryNotFound(memoryId));
    yield* cubes.requireLive(source.cubeId, undefined, memoryId);
    if (request.targetCubeId === source.cubeId) {
      return yield* Effect.fail(invalidRequest("targetCubeId", `is cube ${source.cubeId}, where memory ${memoryId} already is; name another cube`));
    }
    const copyId = ctx.commandId ? nameBasedId(`transfer:${ctx.commandId}:${memoryId}`) : ids.newId();
    const alreadyCopied = ctx.commandId !== undefined && exists((yield* repo.load(copyId)).projection.state);
    if (!alreadyCopied) {
      if (source.content === null || !copyable.has(source.status)) {
        const why = source.content === null ? "its content was erased; erased content is never copied" : source.status === "merged" ? `it was merged into ${source.successorId}; transfer that unit instead` : "it is still being processed; transfer it once activated";
        return yield* Effect.fail(new TransitionRejected(memoryId, source.status, request.mode, why));
      }
      if (request.mode === "move") {
        if (source.status !== "activated") return yield* Effect.fail(new TransitionRejected(memoryId, source.status, "move", "only an activated unit is moved (the move archives it); copy it instead"));
        const { state } = yield* Effect.flatMap(HoldRegistry, (r) => r.current(ctx.tenantId));
        const holds = holdsCovering(state, { memoryId, cubeId: source.cubeId, ...(source.subjectId !== undefined ? { subjectId: source.subjectId } : {}) });
        if (holds.length > 0) return yield* Effect.fail(legalHoldActive(memoryId, "move", holds));
      }
    }
    const copy = yield* memories.create(copyInput(source, request.targetCubeId, copyId), ctx);
    const after = request.mode === "move" ? yield* memories.archive(memoryId, ctx, { movedTo: { cubeId: copy.cubeId, memoryId: copy.memoryId } }) : source;
    return { mode: request.mode, source: after, copy } satisfies TransferReport;
  });

function copyInput(source: MemoryView, targetCubeId: string, memoryId: string): NewMemoryInput {
  const content = source.content!;
  const { memoryType, confidence, visibility, eventTime } = source.attributes;
  const subjectId = source.subjectId === undefined || source.subjectId === `cube:${source.cubeId}` ? undefined : source.subjectId;
  return {
    cubeId: targetCubeId,
    memoryId,
    text: content.text,
    ...(content.key !== undefined ? { key: content.key } : {}),
    tags: content.tags,
    sources: content.sources,
    ...(content.userId !== undefined ? { userId: content.userId } : {}),
    ...(content.agentId !== undefined ? { agentId: content.agentId } : {}),
    ...(content.sessionId !== undefined ? { sessionId: content.sessionId } : {}),
    metadata: content.metadata,
    memoryType,
    confidence,
    visibility,
    ...(eventTime !== undefined ? { eventTime } : {}),
    ...(subjectId !== undefined ? { subjectId } : {}),
    copiedFrom: { cubeId: source.cubeId, memoryId: source.memoryId, revision: source.revision },
  };
}

import { isoInstantRule, parseIsoInstant } from "../../domain/time/isoInstant.js";
import { Context, Effect, Either, Layer } from "effect";
import { decide } from "../../domain/memory/decide.js";
import { TransitionRejected, type DomainError } from "../../domain/memory/domainErrors.js";
import { defaultAttributes, type AttributeChanges, type ContentChanges, type MemoryContent, type MemorySource, type MetadataValue, type MemoryType, type Visibility } from "../../domain/memory/memoryContent.js";
import type { MemoryCommand } from "../../domain/memory/memoryCommands.js";
import type { CubeRemoved } from "../command/cubeRemovedErrors.js";
import type { BranchOrigin, FreezeReason, MemoryEvent, MoveTarget } from "../../domain/memory/memoryEvents.js";
import { exists, type ExistingMemory } from "../../domain/memory/memoryState.js";
import { fold } from "../../domain/memory/evolve.js";
import { cubeStreamId } from "../../domain/cube/cubeEvents.js";
import { cubeTenantReader } from "../tenancy/cubeTenant.js";
import { describeAsOf, type AsOf } from "../../projections/asOf.js";
import { projectMemory, type MemoryView } from "../../projections/memoryView.js";
import { memoryHistory, type HistoryEntry } from "../../projections/memoryHistory.js";
import { diffMemory, type MemoryDiff } from "../../projections/memoryDiff.js";
import { cubeNotFound, invalidRequest, memoryNotFound, revisionMismatch, tooMuchContention, type CubeNotFound, type InvalidRequest, type MemoryNotFound, type RevisionMismatch, type TooMuchContention } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { Clock } from "../clock/clock.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { EventStore, type EventMetadata } from "../eventStore/eventStorePort.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { KeyStoreUnavailable } from "../keyStore/keyStorePort.js";
import { MemoryRepository, type LoadedMemory } from "./memoryRepository.js";
import { HoldRegistry } from "../holdCheck/holdRegistry.js";
import { holdGate } from "../holdCheck/holdGate.js";
import type { LegalHoldActive } from "../holdCheck/legalHoldErrors.js";

/** What a caller gives to remember something. Everything but cubeId and text has a default. */
export interface NewMemoryInput {
  readonly cubeId: string;
  readonly memoryId?: string;
  readonly text: string;
  readonly key?: string;
  readonly tags?: readonly string[];
  readonly sources?: readonly MemorySource[];
  readonly userId?: string;
  readonly agentId?: string;
  readonly sessionId?: string;
  readonly metadata?: Readonly<Record<string, MetadataValue>>;
  readonly memoryType?: MemoryType;
  readonly confidence?: number;
  readonly visibility?: Visibility;
  readonly eventTime?: string;
  /** Whose personal data this is; defaults to userId, else the cube. Erasing the subject shreds it. */
  readonly subjectId?: string;
  /** false leaves the unit `generated` (processing pending); default true. */
  readonly activate?: boolean;
  /** Set by a memory transfer (src/cubeTransfer/): the unit of another cube this one copies. */
  readonly copiedFrom?: BranchOrigin;
}

export interface MemoryEdit {
  readonly content?: ContentChanges;
  readonly attributes?: AttributeChanges;
}

export interface ProcessingFailure {
  readonly jobId: string;
  readonly attempt: number;
  readonly error: string;
  readonly willRetry: boolean;
}

export interface WriteOptions {
  /** Optimistic concurrency: fail instead of retrying when the unit moved past this revision. */
  readonly expectedRevision?: number;
}

/** An archive that is the source side of a move (memory transfer) carries the link to the copy. */
export interface ArchiveOptions extends WriteOptions {
  readonly movedTo?: MoveTarget;
}

export type MemoryWriteError =
  | DomainError
  | MemoryNotFound
  | CubeNotFound
  // A write to a unit of a removed cube (hot-plug, src/cube/liveCubeWrites.ts).
  | CubeRemoved
  | RevisionMismatch
  | TooMuchContention
  | InvalidRequest
  | IdempotencyConflict
  | ConcurrencyConflict
  | EventStoreUnavailable
  | KeyStoreUnavailable
  | LegalHoldActive;
export type MemoryReadError = MemoryNotFound | InvalidRequest | EventStoreUnavailable | KeyStoreUnavailable;

export interface MemoryServiceApi {
  create(input: NewMemoryInput, ctx: CommandContext): Effect.Effect<MemoryView, MemoryWriteError>;
  activate(memoryId: string, ctx: CommandContext, options?: WriteOptions): Effect.Effect<MemoryView, MemoryWriteError>;
  edit(memoryId: string, edit: MemoryEdit, ctx: CommandContext, options?: WriteOptions): Effect.Effect<MemoryView, MemoryWriteError>;
  merge(memoryId: string, successorId: string, ctx: CommandContext, options?: WriteOptions): Effect.Effect<MemoryView, MemoryWriteError>;
  archive(memoryId: string, ctx: CommandContext, options?: ArchiveOptions): Effect.Effect<MemoryView, MemoryWriteError>;
  restore(memoryId: string, ctx: CommandContext, options?: WriteOptions): Effect.Effect<MemoryView, MemoryWriteError>;
  freeze(memoryId: string, reason: FreezeReason, note: string | undefined, ctx: CommandContext, options?: WriteOptions): Effect.Effect<MemoryView, MemoryWriteError>;
  /** Crypto-shreds one unit: destroys its data key, then records the erasure. */
  erase(memoryId: string, ctx: CommandContext, scope?: "memory" | "subject"): Effect.Effect<MemoryView, MemoryWriteError>;
  revert(memoryId: string, toRevision: number, ctx: CommandContext, options?: WriteOptions): Effect.Effect<MemoryView, MemoryWriteError>;
  /** Records a failed background processing attempt on a generated unit (it stays generated). */
  recordProcessingFailure(memoryId: string, failure: ProcessingFailure, ctx: CommandContext): Effect.Effect<MemoryView, MemoryWriteError>;
  get(memoryId: string, asOf?: AsOf): Effect.Effect<MemoryView, MemoryReadError>;
  history(memoryId: string): Effect.Effect<readonly HistoryEntry[], MemoryReadError>;
  diff(memoryId: string, fromRevision: number, toRevision: number): Effect.Effect<MemoryDiff, MemoryReadError>;
}

export class MemoryService extends Context.Tag("memledger/MemoryService")<MemoryService, MemoryServiceApi>() {}

const maxAttempts = 5;

export const layerMemoryService = Layer.effect(
  MemoryService,
  Effect.gen(function* () {
    const repo = yield* MemoryRepository;
    const store = yield* EventStore;
    const keyRing = yield* KeyRingService;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;
    const cubeTenant = cubeTenantReader(store);
    const holds = holdGate(yield* HoldRegistry, clock, ids);

    const metadataFor = (ctx: CommandContext, cubeId: string, keyId: string, subjectId: string | undefined): EventMetadata =>
      eventMetadata(ctx, clock, ids, { cubeId, keyId, ...(subjectId !== undefined ? { subjectId } : {}) });

    /**
     * The unit's data key. When it was destroyed (an erasure that has not finished)
     * nothing may be sealed any more: only content-free events such as the erasure itself pass.
     */
    const keyOf = (unit: ExistingMemory, loaded: LoadedMemory, events: readonly MemoryEvent[], command: string) =>
      Effect.gen(function* () {
        const keyId = loaded.keyId ?? unit.memoryId;
        const material = yield* keyRing.material(keyId);
        if (material) return { keyId, material };
        const sealsContent = events.some((e) => "content" in e.data && e.data.content !== null);
        if (sealsContent) {
          return yield* Effect.fail(new TransitionRejected(unit.memoryId, unit.status, command, "its data key was destroyed by an erasure; finish the erasure (erase the unit or its subject again)"));
        }
        return { keyId, material: Buffer.alloc(0) };
      });

    /** read → decide → append with the expected revision → retry on conflict. */
    const handle = (
      memoryId: string,
      ctx: CommandContext,
      options: WriteOptions,
      toCommand: (unit: ExistingMemory, loaded: LoadedMemory) => Effect.Effect<MemoryCommand, MemoryWriteError>,
      beforeAppend: (unit: ExistingMemory, loaded: LoadedMemory) => Effect.Effect<void, MemoryWriteError> = () => Effect.void,
    ): Effect.Effect<MemoryView, MemoryWriteError> =>
      Effect.gen(function* () {
        for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
          const loaded = yield* repo.load(memoryId);
          const { state, view, commandIds } = loaded.projection;
          if (ctx.commandId && commandIds.has(ctx.commandId) && view) return yield* originalView(memoryId, ctx.commandId);
          if (!exists(state)) return yield* Effect.fail(memoryNotFound(memoryId));
          if (options.expectedRevision !== undefined && state.revision !== options.expectedRevision) {
            return yield* Effect.fail(revisionMismatch(memoryId, options.expectedRevision, state.revision));
          }
          const command = yield* toCommand(state, loaded);
          // A legal hold binds every caller, trusted code included; an erased unit has nothing left to hold.
          if (state.status !== "erased") {
            const erasure = command.type === "erase" ? { scope: command.scope, ...(loaded.subjectId !== undefined ? { subjectId: loaded.subjectId } : {}), ctx } : undefined;
            const tenantId = (yield* cubeTenant(state.cubeId)) ?? ctx.tenantId;
            yield* holds.require(tenantId, { memoryId, cubeId: state.cubeId, ...(loaded.subjectId !== undefined ? { subjectId: loaded.subjectId } : {}) }, command.type, erasure);
          }
          const decision = decide(state, command);
          if (decision.kind === "rejected") return yield* Effect.fail(decision.error);
          yield* beforeAppend(state, loaded);
          const key = yield* keyOf(state, loaded, decision.events, command.type);
          const appended = yield* Effect.either(repo.append(memoryId, decision.events, state.revision, metadataFor(ctx, state.cubeId, key.keyId, loaded.subjectId), key));
          if (Either.isRight(appended)) return (yield* repo.load(memoryId)).projection.view!;
          if (appended.left._tag !== "ConcurrencyConflict") return yield* Effect.fail(appended.left);
          if (options.expectedRevision !== undefined) {
            const actual = (yield* repo.load(memoryId)).projection.state.revision;
            return yield* Effect.fail(revisionMismatch(memoryId, options.expectedRevision, actual));
          }
        }
        return yield* Effect.fail(tooMuchContention(memoryId, maxAttempts));
      });

    /**
     * A retry's answer: the unit as the command left it (its last event under that command id),
     * not as it is now, so a retried request gets exactly the answer the first one got.
     */
    const originalView = (memoryId: string, commandId: string) =>
      Effect.gen(function* () {
        const envelopes = yield* repo.loadEnvelopes(memoryId);
        const last = envelopes.findLast((e) => e.envelope.metadata.commandId === commandId);
        const view = last ? projectMemory(yield* repo.loadPrefix(memoryId, { revision: last.envelope.revision })).view : undefined;
        return view ?? (yield* Effect.fail(memoryNotFound(memoryId)));
      });

    const stateAtRevision = (memoryId: string, revision: number) =>
      Effect.gen(function* () {
        const current = yield* repo.load(memoryId);
        const last = current.projection.state.revision;
        if (last < 0) return yield* Effect.fail(memoryNotFound(memoryId));
        if (!Number.isInteger(revision) || revision < 0 || revision > last) {
          return yield* Effect.fail(invalidRequest("revision", `must be between 0 and ${last} for memory ${memoryId}`));
        }
        return fold((yield* repo.loadPrefix(memoryId, { revision })).map((e) => e.event)) as ExistingMemory;
      });

    const create = (input: NewMemoryInput, ctx: CommandContext): Effect.Effect<MemoryView, MemoryWriteError> =>
      Effect.gen(function* () {
        if (typeof input.cubeId !== "string" || input.cubeId === "") return yield* Effect.fail(invalidRequest("cubeId", "is required"));
        // The cube's first event only: reading its whole stream would cost O(units) on every create.
        // Another tenant's cube answers as a missing one, so its existence does not leak.
        if ((yield* cubeTenant(input.cubeId)) !== ctx.tenantId) return yield* Effect.fail(cubeNotFound(input.cubeId));
        // With an idempotency key the id follows from the key, so a retry addresses the unit the first attempt made.
        const memoryId = input.memoryId ?? (ctx.commandId ? nameBasedId(`memory:${ctx.commandId}`) : ids.newId());
        const loaded = yield* repo.load(memoryId);
        if (ctx.commandId && loaded.projection.commandIds.has(ctx.commandId) && loaded.projection.view) return yield* originalView(memoryId, ctx.commandId);
        const content: MemoryContent = {
          text: input.text,
          ...(input.key !== undefined ? { key: input.key } : {}),
          tags: input.tags ?? [],
          sources: input.sources ?? [],
          ...(input.userId !== undefined ? { userId: input.userId } : {}),
          ...(input.agentId !== undefined ? { agentId: input.agentId } : {}),
          ...(input.sessionId !== undefined ? { sessionId: input.sessionId } : {}),
          metadata: input.metadata ?? {},
        };
        const attributes = {
          memoryType: input.memoryType ?? defaultAttributes.memoryType,
          confidence: input.confidence ?? defaultAttributes.confidence,
          visibility: input.visibility ?? defaultAttributes.visibility,
          ...(input.eventTime !== undefined ? { eventTime: input.eventTime } : {}),
        };
        const decision = decide(loaded.projection.state, { type: "create", memoryId, cubeId: input.cubeId, content, attributes, activate: input.activate ?? true, ...(input.copiedFrom ? { copiedFrom: input.copiedFrom } : {}) });
        if (decision.kind === "rejected") return yield* Effect.fail(decision.error);
        const subjectId = input.subjectId ?? input.userId ?? `cube:${input.cubeId}`;
        const key = yield* keyRing.create(subjectId, ids.newId());
        const metadata = metadataFor(ctx, input.cubeId, key.keyId, subjectId);
        // Register first: a cube can then always list every unit that may exist in it.
        // A retried registration reuses its event id, so a crash before the unit's append leaves no duplicate.
        const registrationId = ctx.commandId ? nameBasedId(`registered:${input.cubeId}:${memoryId}:${ctx.commandId}`) : ids.newId();
        yield* store.append(cubeStreamId(input.cubeId), [{ eventId: registrationId, type: "CubeMemoryRegistered", schemaVersion: 1, data: { cubeId: input.cubeId, memoryId }, metadata: eventMetadata({ ...ctx, correlationId: metadata.correlationId }, clock, ids, { cubeId: input.cubeId }) }], "stream_exists").pipe(
          Effect.catchTag("ConcurrencyConflict", () => Effect.fail(cubeNotFound(input.cubeId))),
        );
        const appended = yield* Effect.either(repo.append(memoryId, decision.events, "no_stream", metadata, key));
        if (Either.isLeft(appended)) {
          if (appended.left._tag !== "ConcurrencyConflict") return yield* Effect.fail(appended.left);
          const now = yield* repo.load(memoryId);
          if (ctx.commandId && now.projection.commandIds.has(ctx.commandId) && now.projection.view) return yield* originalView(memoryId, ctx.commandId);
          return yield* Effect.fail(new TransitionRejected(memoryId, now.projection.state.status, "create", "a memory with this id already exists"));
        }
        return (yield* repo.load(memoryId)).projection.view!;
      });

    const api: MemoryServiceApi = {
      create,
      activate: (memoryId, ctx, options = {}) => handle(memoryId, ctx, options, () => Effect.succeed({ type: "activate", memoryId })),
      edit: (memoryId, edit, ctx, options = {}) =>
        handle(memoryId, ctx, options, () => Effect.succeed({ type: "edit", memoryId, ...(edit.content ? { content: edit.content } : {}), ...(edit.attributes ? { attributes: edit.attributes } : {}) })),
      merge: (memoryId, successorId, ctx, options = {}) =>
        handle(memoryId, ctx, options, () =>
          Effect.gen(function* () {
            // The successor as it stands now; the machine judges whether the merge may point at it.
            const successor = (yield* repo.load(successorId)).projection.state;
            if (!exists(successor)) return yield* Effect.fail(memoryNotFound(successorId, ` (the merge successor of ${memoryId})`));
            return { type: "merge" as const, memoryId, successorId, successor: { memoryId: successorId, cubeId: successor.cubeId, status: successor.status } };
          }),
        ),
      archive: (memoryId, ctx, options = {}) => handle(memoryId, ctx, options, () => Effect.succeed({ type: "archive", memoryId, ...(options.movedTo ? { movedTo: options.movedTo } : {}) })),
      restore: (memoryId, ctx, options = {}) => handle(memoryId, ctx, options, () => Effect.succeed({ type: "restore", memoryId })),
      freeze: (memoryId, reason, note, ctx, options = {}) =>
        handle(memoryId, ctx, options, () => Effect.succeed({ type: "freeze", memoryId, reason, ...(note !== undefined ? { note } : {}) })),
      erase: (memoryId, ctx, scope = "memory") =>
        Effect.tap(
          handle(
            memoryId,
            ctx,
            {},
            (_unit, loaded) => Effect.succeed({ type: "erase" as const, memoryId, scope, keyId: loaded.keyId ?? memoryId }),
            // Destroy the key before recording the erasure: a crash in between leaves the content unreadable, never readable.
            (_unit, loaded) => Effect.asVoid(keyRing.destroy(loaded.keyId ?? memoryId, clock.now().toISOString())),
          ),
          () => Effect.sync(() => repo.forget(memoryId)),
        ),
      revert: (memoryId, toRevision, ctx, options = {}) =>
        handle(memoryId, ctx, options, (unit) =>
          Effect.gen(function* () {
            if (!Number.isInteger(toRevision) || toRevision < 0 || toRevision >= unit.revision) {
              return yield* Effect.fail(invalidRequest("toRevision", `must be between 0 and ${unit.revision - 1} for memory ${memoryId} (current revision ${unit.revision})`));
            }
            const target = yield* stateAtRevision(memoryId, toRevision);
            return { type: "revert" as const, memoryId, toRevision, target };
          }),
        ),
      recordProcessingFailure: (memoryId, failure, ctx) =>
        handle(memoryId, ctx, {}, () => Effect.succeed({ type: "recordProcessingFailure" as const, memoryId, ...failure })),
      get: (memoryId, asOf) =>
        Effect.gen(function* () {
          if (asOf === undefined) {
            const loaded = yield* repo.load(memoryId);
            if (!loaded.projection.view) return yield* Effect.fail(memoryNotFound(memoryId));
            return loaded.projection.view;
          }
          // An impossible moment is bad input, not a unit "created later" (same rule as the REST routes).
          if ("time" in asOf && parseIsoInstant(asOf.time) === undefined) return yield* Effect.fail(invalidRequest("asOf.time", `must be ${isoInstantRule}`));
          const view = projectMemory(yield* repo.loadPrefix(memoryId, asOf)).view;
          if (view) return view;
          const exists = (yield* repo.load(memoryId)).projection.view !== undefined;
          return yield* Effect.fail(exists ? memoryNotFound(memoryId, ` as of ${describeAsOf(asOf)} (it was created later)`) : memoryNotFound(memoryId));
        }),
      history: (memoryId) =>
        Effect.flatMap(repo.loadEnvelopes(memoryId), (events) => (events.length === 0 ? Effect.fail(memoryNotFound(memoryId)) : Effect.succeed(memoryHistory(events)))),
      diff: (memoryId, fromRevision, toRevision) =>
        Effect.gen(function* () {
          const from = yield* stateAtRevision(memoryId, fromRevision);
          const to = yield* stateAtRevision(memoryId, toRevision);
          return diffMemory(from, to);
        }),
    };
    return api;
  }),
);

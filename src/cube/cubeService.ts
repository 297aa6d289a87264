import { Context, Effect, Either, Layer } from "effect";
import { cubeIdProblem, cubeRegistryStreamId, cubeStreamId, type CubeEvent, type CubeOwner, type CubeOwnerKind, type RollbackOutcome } from "../../domain/cube/cubeEvents.js";
import { foldCube, type CubeState } from "../../domain/cube/cubeState.js";
import { sameValue } from "../../domain/memory/memoryContent.js";
import { memoryStreamId, type MemoryEvent } from "../../domain/memory/memoryEvents.js";
import type { DecodedMemoryEvent } from "../../projections/envelope.js";
import { exists, type ExistingMemory, type MemoryState } from "../../domain/memory/memoryState.js";
import { fold } from "../../domain/memory/evolve.js";
import { prefixAsOf, type AsOf } from "../../projections/asOf.js";
import { projectMemory, type MemoryView } from "../../projections/memoryView.js";
import { cubeAlreadyExists, cubeNotFound, invalidRequest, type CubeAlreadyExists, type CubeNotFound, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { Clock } from "../clock/clock.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { EventStore, type EventMetadata, type NewEvent } from "../eventStore/eventStorePort.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { KeyStoreUnavailable } from "../keyStore/keyStorePort.js";
import { isoInstantRule, parseIsoInstant } from "../../domain/time/isoInstant.js";
import { MemoryRepository } from "../memory/memoryRepository.js";
import { MemoryService, type MemoryWriteError } from "../memory/memoryService.js";
import { loadCube } from "./cubeRepository.js";
import { cubeTenantReader } from "../tenancy/cubeTenant.js";
import { cubeRemovalHintsStreamId, cubeRemovalReader, type Removal } from "./cubeRemovals.js";
import { cubeAlreadyRemoved, cubeNotRemoved, cubeRemoved, type CubeLifecycleConflict, type CubeRemoved } from "../command/cubeRemovedErrors.js";

export interface NewCubeInput {
  readonly cubeId?: string;
  readonly name: string;
  readonly owner: CubeOwner;
  readonly description?: string;
}

export interface CubeView {
  readonly cubeId: string;
  /** The tenant the cube was created in; it never changes. */
  readonly tenantId: string;
  readonly name: string;
  readonly owner: CubeOwner;
  readonly description?: string;
  readonly branchedFrom?: { readonly cubeId: string; readonly asOf: string };
  readonly memoryCount: number;
  readonly branches: readonly string[];
  readonly rollbacks: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly revision: number;
  /** Set while the cube is removed (hot-plug): when and by whom. */
  readonly removed?: Removal;
  /** The cube's hot-plug history (renames, updates, removals, reinstatements), oldest first; absent when there is none. */
  readonly lifecycle?: readonly CubeLifecycleEntry[];
}

export interface CubeLifecycleEntry {
  readonly type: "CubeUpdated" | "CubeRemoved" | "CubeReinstated";
  readonly at: string;
  readonly by: string;
  readonly reason?: string;
  readonly revision: number;
  /** For an update: the new name and/or description (null: cleared). */
  readonly name?: string;
  readonly description?: string | null;
}

const lifecycleTypes: ReadonlySet<string> = new Set(["CubeUpdated", "CubeRemoved", "CubeReinstated"]);

/** Hot-plug: the fields a cube update changes; `description: null` clears the description. */
export interface CubeChanges {
  readonly name?: string;
  readonly description?: string | null;
}

export interface ListCubesOptions {
  /** Removed cubes are left out unless asked for. */
  readonly includeRemoved?: boolean;
}

export interface ListMemoriesOptions {
  readonly asOf?: AsOf;
  /** Defaults to every state; pass e.g. ["activated"] for what an agent would retrieve. */
  readonly statuses?: readonly string[];
}

export interface RollbackReport {
  readonly cubeId: string;
  readonly toTime: string;
  readonly outcomes: readonly RollbackOutcome[];
}

export interface BranchReport {
  readonly cube: CubeView;
  readonly sourceCubeId: string;
  readonly asOf: string;
  /** source memory id -> branch memory id */
  readonly memoryMap: Readonly<Record<string, string>>;
  readonly skipped: readonly { readonly memoryId: string; readonly why: string }[];
}

export type CubeError = CubeNotFound | CubeAlreadyExists | InvalidRequest | ConcurrencyConflict | EventStoreUnavailable | KeyStoreUnavailable | IdempotencyConflict | CubeRemoved | CubeLifecycleConflict;

export interface CubeServiceApi {
  create(input: NewCubeInput, ctx: CommandContext): Effect.Effect<CubeView, CubeError>;
  /** With a tenant, a cube of another tenant is CubeNotFound, exactly as a missing one. */
  get(cubeId: string, tenantId?: string): Effect.Effect<CubeView, CubeError>;
  list(tenantId: string, options?: ListCubesOptions): Effect.Effect<readonly CubeView[], CubeError>;
  /** The cube's units as they stood at `asOf` (now when absent). With a tenant, a cube of another tenant is CubeNotFound. */
  listMemories(cubeId: string, options?: ListMemoriesOptions, tenantId?: string): Effect.Effect<readonly MemoryView[], CubeError>;
  /** The tenant the cube was created in, undefined when there is no such cube; reads one event, then cached. */
  tenantOf(cubeId: string): Effect.Effect<string | undefined, EventStoreUnavailable>;
  /** Compensating events for every unit changed after `toTime`; units created later are archived. A cube of another tenant than ctx's is CubeNotFound. */
  rollback(cubeId: string, toTime: string, ctx: CommandContext): Effect.Effect<RollbackReport, CubeError | MemoryWriteError>;
  /** A new cube holding copies of the source cube's units as they were at `asOf`. */
  branch(cubeId: string, asOf: string, target: { cubeId?: string; name?: string }, ctx: CommandContext): Effect.Effect<BranchReport, CubeError | MemoryWriteError>;
  /** Hot-plug: rename the cube or change its description (CubeUpdated). A removed cube is refused. */
  update(cubeId: string, changes: CubeChanges, ctx: CommandContext): Effect.Effect<CubeView, CubeError>;
  /** Hot-plug: a soft, audited, reversible removal (CubeRemoved); nothing is deleted. */
  remove(cubeId: string, ctx: CommandContext): Effect.Effect<CubeView, CubeError>;
  /** Hot-plug: bring a removed cube back with every unit as it was (CubeReinstated). */
  reinstate(cubeId: string, ctx: CommandContext): Effect.Effect<CubeView, CubeError>;
  /** Fails with CubeRemoved when the cube was removed at `asOf` (now when absent); a missing cube passes (others answer that). */
  requireLive(cubeId: string, asOf?: AsOf, memoryId?: string): Effect.Effect<void, CubeRemoved | EventStoreUnavailable>;
}

export class CubeService extends Context.Tag("memledger/CubeService")<CubeService, CubeServiceApi>() {}

const ownerKinds: readonly CubeOwnerKind[] = ["user", "agent", "session", "project"];

export const layerCubeService = Layer.effect(
  CubeService,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const repo = yield* MemoryRepository;
    const memories = yield* MemoryService;
    const keyRing = yield* KeyRingService;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;

    const metadataFor = (ctx: CommandContext, cubeId: string, correlationId?: string): EventMetadata =>
      eventMetadata(correlationId !== undefined ? { ...ctx, correlationId } : ctx, clock, ids, { cubeId });

    const cubeEvent = (type: string, data: unknown, metadata: EventMetadata): NewEvent => ({ eventId: ids.newId(), type, schemaVersion: 1, data, metadata });

    const tenantOf = cubeTenantReader(store);
    const removalOf = cubeRemovalReader(store);
    const requireLive = (cubeId: string, asOf?: AsOf, memoryId?: string) =>
      Effect.flatMap(removalOf(cubeId, asOf), (removal) => (removal ? Effect.fail(cubeRemoved(cubeId, removal, memoryId)) : Effect.void));

    /** Fails as for a missing cube when the cube belongs to another tenant, so no caller learns that it exists. */
    const requireTenant = (cubeId: string, tenantId: string) =>
      Effect.flatMap(tenantOf(cubeId), (owner) => (owner === tenantId ? Effect.void : Effect.fail(cubeNotFound(cubeId))));

    const toView = (state: CubeState, events: readonly { metadata: EventMetadata; revision: number }[]): CubeView => ({
      cubeId: state.cubeId,
      tenantId: events[0]!.metadata.tenantId,
      name: state.name,
      owner: state.owner,
      ...(state.description ? { description: state.description } : {}),
      ...(state.branchedFrom ? { branchedFrom: state.branchedFrom } : {}),
      memoryCount: state.memoryIds.length,
      branches: state.branches,
      rollbacks: state.rollbacks,
      createdAt: events[0]!.metadata.recordedAt,
      createdBy: events[0]!.metadata.actor,
      revision: events[events.length - 1]!.revision,
      ...(state.removed ? { removed: removalIn(events) } : {}),
      ...lifecycleOf(events),
    });

    const lifecycleOf = (events: readonly { type?: string; data?: unknown; metadata: EventMetadata; revision: number }[]): { lifecycle?: CubeLifecycleEntry[] } => {
      const entries = events
        .filter((e) => e.type !== undefined && lifecycleTypes.has(e.type))
        .map((e) => {
          const data = e.data as { name?: string; description?: string | null };
          return {
            type: e.type as CubeLifecycleEntry["type"],
            at: e.metadata.recordedAt,
            by: e.metadata.actor,
            ...(e.metadata.reason !== undefined ? { reason: e.metadata.reason } : {}),
            revision: e.revision,
            ...(data.name !== undefined ? { name: data.name } : {}),
            ...(data.description !== undefined ? { description: data.description } : {}),
          };
        });
      return entries.length > 0 ? { lifecycle: entries } : {};
    };

    /** The removal in force: the last CubeRemoved of the stream (a reinstatement clears `removed` from the state). */
    const removalIn = (events: readonly { type?: string; metadata: EventMetadata }[]): Removal => {
      const last = events.findLast((e) => e.type === "CubeRemoved")!;
      return { at: last.metadata.recordedAt, by: last.metadata.actor };
    };

    /** The cube, removed or not (for listing with removed cubes, and for the hot-plug commands themselves). */
    const viewOf = (cubeId: string, tenantId?: string) =>
      Effect.flatMap(loadCube(store, cubeId), (cube) =>
        cube.state && (tenantId === undefined || cube.events[0]!.metadata.tenantId === tenantId) ? Effect.succeed(toView(cube.state, cube.events)) : Effect.fail(cubeNotFound(cubeId)),
      );

    // A removed cube answers 410 CubeRemoved with when and by whom, so a caller knows it can be reinstated.
    const get = (cubeId: string, tenantId?: string) =>
      Effect.flatMap(viewOf(cubeId, tenantId), (view) => (view.removed ? Effect.fail(cubeRemoved(cubeId, view.removed)) : Effect.succeed(view)));

    /** The cube as the command with this id left it (its last event), for a retry's answer; undefined if the command never wrote to it. */
    const viewAfterCommand = (cubeId: string, commandId: string) =>
      Effect.map(loadCube(store, cubeId), (cube) => {
        const last = cube.events.findLastIndex((e) => e.metadata.commandId === commandId);
        if (last < 0) return undefined;
        const events = cube.events.slice(0, last + 1);
        const state = foldCube(events.map((e) => ({ type: e.type, data: e.data }) as CubeEvent));
        return state ? toView(state, events) : undefined;
      });

    /** The cube as created, when the command with this id created it. */
    const createdBy = (cubeId: string, commandId: string, tenantId: string) =>
      Effect.map(loadCube(store, cubeId), (cube) => {
        const created = cube.events[0];
        if (created?.metadata.commandId !== commandId || created.metadata.tenantId !== tenantId) return undefined;
        const state = foldCube([{ type: created.type, data: created.data } as CubeEvent]);
        return state ? toView(state, [created]) : undefined;
      });

    /** A command's earlier outcome recorded on the cube's stream (a rollback, a branch), for a retry's answer. */
    const recordedOutcome = (cubeId: string, type: string, commandId: string | undefined) =>
      commandId === undefined
        ? Effect.succeed(undefined)
        : Effect.map(loadCube(store, cubeId), (cube) => cube.events.findLast((e) => e.type === type && e.metadata.commandId === commandId));

    const create = (input: NewCubeInput, ctx: CommandContext, branchedFrom?: { cubeId: string; asOf: string }): Effect.Effect<CubeView, CubeError> =>
      Effect.gen(function* () {
        if (typeof input.name !== "string" || input.name.trim() === "") return yield* Effect.fail(invalidRequest("name", "must be a non-empty string"));
        if (!input.owner || !ownerKinds.includes(input.owner.kind) || typeof input.owner.id !== "string" || input.owner.id === "") {
          return yield* Effect.fail(invalidRequest("owner", `must be { kind: ${ownerKinds.join(" | ")}, id: non-empty string }`));
        }
        const idProblem = input.cubeId === undefined ? undefined : typeof input.cubeId === "string" ? cubeIdProblem(input.cubeId) : "must be a string";
        if (idProblem !== undefined) return yield* Effect.fail(invalidRequest("cubeId", idProblem));
        // With an idempotency key the id follows from the key, so a retry addresses the cube the first attempt made.
        const cubeId = input.cubeId ?? (ctx.commandId ? nameBasedId(`cube:${ctx.commandId}`) : ids.newId());
        const metadata = metadataFor(ctx, cubeId);
        // Registry first, so a cube that exists is always listed; listing skips registrations without a cube.
        const registered = cubeEvent("CubeRegistered", { cubeId }, metadata);
        yield* store.append(cubeRegistryStreamId(ctx.tenantId), [ctx.commandId ? { ...registered, eventId: nameBasedId(`cube-registered:${cubeId}:${ctx.commandId}`) } : registered], "any");
        const created = cubeEvent(
          "CubeCreated",
          { cubeId, name: input.name, owner: input.owner, ...(input.description ? { description: input.description } : {}), ...(branchedFrom ? { branchedFrom } : {}) },
          metadata,
        );
        const appended = yield* Effect.either(store.append(cubeStreamId(cubeId), [created], "no_stream"));
        if (Either.isLeft(appended)) {
          if (appended.left._tag !== "ConcurrencyConflict") return yield* Effect.fail(appended.left);
          // A retry of the create that made this cube answers as that create did (the cube as created).
          const original = ctx.commandId ? yield* createdBy(cubeId, ctx.commandId, ctx.tenantId) : undefined;
          return original ?? (yield* Effect.fail(cubeAlreadyExists(cubeId)));
        }
        return yield* get(cubeId);
      });

    const listMemories = (cubeId: string, options: ListMemoriesOptions = {}, tenantId?: string) =>
      Effect.gen(function* () {
        const cube = yield* loadCube(store, cubeId);
        if (!cube.state || (tenantId !== undefined && cube.events[0]!.metadata.tenantId !== tenantId)) return yield* Effect.fail(cubeNotFound(cubeId));
        yield* requireLive(cubeId, options.asOf);
        const views = yield* Effect.forEach(cube.state.memoryIds, (memoryId) =>
          Effect.map(repo.loadPrefix(memoryId, options.asOf), (events) => projectMemory(events).view),
        );
        return views.filter((v): v is MemoryView => v !== undefined && (!options.statuses || options.statuses.includes(v.status)));
      });

    const unitStates = (cubeId: string, asOf: AsOf) =>
      Effect.gen(function* () {
        const cube = yield* loadCube(store, cubeId);
        if (!cube.state) return yield* Effect.fail(cubeNotFound(cubeId));
        return yield* Effect.forEach(cube.state.memoryIds, (memoryId) =>
          Effect.map(repo.loadEvents(memoryId), (events) => ({
            memoryId,
            events,
            current: fold(events.map((e) => e.event)),
            atT: fold(prefixAsOf(events, asOf).map((e) => e.event)),
          })),
        );
      });

    // The library checks times by the same rule as the REST routes: a real moment, with a time zone.
    const requireTime = (field: string, value: string) => {
      const instant = parseIsoInstant(value);
      return instant !== undefined ? Effect.succeed(instant) : Effect.fail(invalidRequest(field, `must be ${isoInstantRule}`));
    };

    const rollback = (cubeId: string, toTime: string, ctx: CommandContext) =>
      Effect.gen(function* () {
        const time = yield* requireTime("toTime", toTime);
        yield* requireTenant(cubeId, ctx.tenantId);
        yield* requireLive(cubeId);
        const earlier = yield* recordedOutcome(cubeId, "CubeRolledBack", ctx.commandId);
        if (earlier) return earlier.data as RollbackReport;
        const correlationId = ctx.correlationId ?? ids.newId();
        const unitCtx: CommandContext = { ...ctx, correlationId, reason: ctx.reason ?? `rollback of cube ${cubeId} to ${time}` };
        const units = yield* unitStates(cubeId, { time });
        const outcomes: RollbackOutcome[] = [];
        for (const unit of units) {
          outcomes.push(
            alreadyRolledBack(unit.memoryId, unit.events, unitCtx.commandId) ??
              // A unit under legal hold stays as it is; the report says which holds kept it.
              (yield* rollbackUnit(unit.memoryId, unit.current, unit.atT, unitCtx).pipe(
                Effect.catchTag("LegalHoldActive", (held) => Effect.succeed<RollbackOutcome>({ memoryId: unit.memoryId, action: "skipped", why: `under legal hold ${held.holds.map((h) => h.holdId).join(", ")}` })),
              )),
          );
        }
        yield* store.append(cubeStreamId(cubeId), [cubeEvent("CubeRolledBack", { cubeId, toTime: time, outcomes }, metadataFor(unitCtx, cubeId, correlationId))], "stream_exists");
        return { cubeId, toTime: time, outcomes };
      });

    const rollbackUnit = (memoryId: string, current: MemoryState, atT: MemoryState, ctx: CommandContext): Effect.Effect<RollbackOutcome, MemoryWriteError> =>
      Effect.gen(function* () {
        if (!exists(current)) return { memoryId, action: "unchanged", why: "the unit was registered but never written" };
        if (current.status === "frozen" || current.status === "erased") {
          return current.revision === atT.revision
            ? { memoryId, action: "unchanged" }
            : { memoryId, action: "skipped", why: `the unit is ${current.status}; ${current.status === "frozen" ? "a legal hold or retention freeze" : "erasure"} cannot be rolled back` };
        }
        if (!exists(atT)) {
          if (current.status === "archived") return { memoryId, action: "unchanged", why: "created after the rollback point and already archived" };
          if (current.status === "merged") return { memoryId, action: "skipped", why: "created after the rollback point and since merged; archive its successor instead" };
          yield* memories.archive(memoryId, ctx);
          return { memoryId, action: "archived", why: "created after the rollback point" };
        }
        if (current.revision === atT.revision || sameSnapshot(current, atT)) return { memoryId, action: "unchanged" };
        yield* memories.revert(memoryId, atT.revision, ctx);
        return { memoryId, action: "reverted", toRevision: atT.revision };
      });

    const branch = (cubeId: string, asOf: string, target: { cubeId?: string; name?: string }, ctx: CommandContext) =>
      Effect.gen(function* () {
        const time = yield* requireTime("asOf", asOf);
        const source = yield* get(cubeId, ctx.tenantId);
        const units = yield* unitStates(cubeId, { time });
        const earlier = yield* recordedOutcome(cubeId, "CubeBranched", ctx.commandId);
        if (earlier && ctx.commandId) {
          const { branchCubeId, memoryMap } = earlier.data as { branchCubeId: string; memoryMap: Record<string, string> };
          const cube = (yield* viewAfterCommand(branchCubeId, ctx.commandId)) ?? (yield* get(branchCubeId));
          const skipped = units.filter((u) => exists(u.atT) && !(u.memoryId in memoryMap)).map((u) => ({ memoryId: u.memoryId, why: erasedWhy }));
          return { cube, sourceCubeId: cubeId, asOf: time, memoryMap, skipped };
        }
        const correlationId = ctx.correlationId ?? ids.newId();
        const branchCtx: CommandContext = { ...ctx, correlationId, reason: ctx.reason ?? `branch of cube ${cubeId} at ${time}` };
        const cube = yield* create(
          { ...(target.cubeId ? { cubeId: target.cubeId } : {}), name: target.name ?? `${source.name} (branch at ${time})`, owner: source.owner, ...(source.description ? { description: source.description } : {}) },
          branchCtx,
          { cubeId, asOf: time },
        );
        const copyable = units.filter((u) => exists(u.atT) && u.atT.status !== "erased" && u.atT.content !== null);
        const skipped = units
          .filter((u) => !copyable.includes(u) && exists(u.atT))
          .map((u) => ({ memoryId: u.memoryId, why: erasedWhy }));
        // Keyed: ids follow from the key, so a retry after a crash part-way finds the copies already made.
        const copyId = (memoryId: string) => (ctx.commandId ? nameBasedId(`branch:${ctx.commandId}:${memoryId}`) : ids.newId());
        const memoryMap: Record<string, string> = Object.fromEntries(copyable.map((u) => [u.memoryId, copyId(u.memoryId)]));
        for (const unit of copyable) {
          const newId = memoryMap[unit.memoryId]!;
          if (ctx.commandId && (yield* store.streamRevision(memoryStreamId(newId))) !== undefined) continue;
          const prefix = prefixAsOf(unit.events, { time });
          const atT = unit.atT as ExistingMemory;
          const events = prefix.map(({ event }) => copyEvent(event, newId, cube.cubeId, memoryMap, { cubeId, memoryId: unit.memoryId, revision: atT.revision }));
          const subjectId = prefix[0]?.envelope.metadata.subjectId ?? `cube:${cube.cubeId}`;
          const key = yield* keyRing.create(subjectId, ids.newId());
          const metadata: EventMetadata = { ...metadataFor(branchCtx, cube.cubeId, correlationId), subjectId, keyId: key.keyId, causationId: prefix[prefix.length - 1]!.envelope.eventId };
          const registration = cubeEvent("CubeMemoryRegistered", { cubeId: cube.cubeId, memoryId: newId }, metadataFor(branchCtx, cube.cubeId, correlationId));
          yield* store.append(cubeStreamId(cube.cubeId), [ctx.commandId ? { ...registration, eventId: nameBasedId(`registered:${cube.cubeId}:${newId}:${ctx.commandId}`) } : registration], "stream_exists");
          yield* repo.append(newId, events, "no_stream", metadata, key).pipe(Effect.catchTag("ConcurrencyConflict", (e) => Effect.die(e)));
        }
        yield* store.append(cubeStreamId(cubeId), [cubeEvent("CubeBranched", { cubeId, branchCubeId: cube.cubeId, asOf: time, memoryMap }, metadataFor(branchCtx, cubeId, correlationId))], "stream_exists");
        return { cube: yield* get(cube.cubeId), sourceCubeId: cubeId, asOf: time, memoryMap, skipped };
      });

    /**
     * One hot-plug event on the cube's stream. A retry of the same command (same
     * command id) answers the cube as that command left it instead of writing twice.
     */
    const lifecycle = (cubeId: string, ctx: CommandContext, event: (view: CubeView) => Effect.Effect<{ type: string; data: unknown }, CubeError>) =>
      Effect.gen(function* () {
        const current = yield* viewOf(cubeId, ctx.tenantId);
        if (ctx.commandId) {
          const earlier = yield* viewAfterCommand(cubeId, ctx.commandId);
          if (earlier) return earlier;
        }
        const next = yield* event(current);
        // The hint first (cubeRemovals.ts): a crash before the removal leaves a false hint, which readers check against the cube's stream.
        if (next.type === "CubeRemoved") yield* store.append(cubeRemovalHintsStreamId, [cubeEvent("CubeRemovalHinted", { cubeId }, metadataFor(ctx, cubeId))], "any");
        yield* store.append(cubeStreamId(cubeId), [cubeEvent(next.type, next.data, metadataFor(ctx, cubeId))], current.revision);
        return yield* viewOf(cubeId);
      });

    const update = (cubeId: string, changes: CubeChanges, ctx: CommandContext) =>
      lifecycle(cubeId, ctx, (view) =>
        Effect.gen(function* () {
          if (view.removed) return yield* Effect.fail(cubeRemoved(cubeId, view.removed));
          if (changes.name !== undefined && (typeof changes.name !== "string" || changes.name.trim() === "")) return yield* Effect.fail(invalidRequest("name", "must be a non-empty string"));
          if (changes.description !== undefined && changes.description !== null && typeof changes.description !== "string") return yield* Effect.fail(invalidRequest("description", "must be a string, or null to clear it"));
          const name = changes.name !== undefined && changes.name !== view.name ? changes.name : undefined;
          const description = changes.description === undefined || (changes.description ?? undefined) === view.description ? undefined : changes.description;
          if (name === undefined && description === undefined) return yield* Effect.fail(invalidRequest("body", `changes nothing on cube ${cubeId}; send a new name or description`));
          return { type: "CubeUpdated", data: { cubeId, ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) } };
        }),
      );

    const remove = (cubeId: string, ctx: CommandContext) =>
      lifecycle(cubeId, ctx, (view) => (view.removed ? Effect.fail(cubeAlreadyRemoved(cubeId, view.removed)) : Effect.succeed({ type: "CubeRemoved", data: { cubeId } })));

    const reinstate = (cubeId: string, ctx: CommandContext) =>
      lifecycle(cubeId, ctx, (view) => (view.removed ? Effect.succeed({ type: "CubeReinstated", data: { cubeId } }) : Effect.fail(cubeNotRemoved(cubeId))));

    const api: CubeServiceApi = {
      create: (input, ctx) => create(input, ctx),
      get,
      tenantOf,
      update,
      remove,
      reinstate,
      requireLive,
      list: (tenantId, options = {}) =>
        Effect.gen(function* () {
          const registry = yield* store.readStream(cubeRegistryStreamId(tenantId)).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([])));
          const cubeIds = [...new Set(registry.map((e) => (e.data as { cubeId: string }).cubeId))];
          // With the tenant: a registration left by a create that lost to another tenant's cube of that id lists nothing.
          const cubes = yield* Effect.forEach(cubeIds, (id) => Effect.either(viewOf(id, tenantId)));
          return cubes.filter(Either.isRight).map((c) => c.right).filter((cube) => options.includeRemoved === true || cube.removed === undefined);
        }),
      listMemories,
      rollback,
      branch,
    };
    return api;
  }),
);

const erasedWhy = "its content was erased; erased content is never copied";

/** A unit this rollback (same command id) already compensated before a crash: its outcome, read back from the unit's own events. */
function alreadyRolledBack(memoryId: string, events: readonly DecodedMemoryEvent[], commandId: string | undefined): RollbackOutcome | undefined {
  const done = commandId === undefined ? undefined : events.findLast((e) => e.envelope.metadata.commandId === commandId)?.event;
  if (done?.type === "MemoryArchived") return { memoryId, action: "archived", why: "created after the rollback point" };
  if (done?.type === "MemoryReverted") return { memoryId, action: "reverted", toRevision: done.data.toRevision };
  return undefined;
}

/** Same content, attributes, status and successor: nothing for a rollback to undo. */
function sameSnapshot(a: ExistingMemory, b: ExistingMemory): boolean {
  return a.status === b.status && a.successorId === b.successorId && sameValue(a.content, b.content) && sameValue(a.attributes, b.attributes);
}

/** An event of the source unit, rewritten to belong to the branch unit. */
function copyEvent(event: MemoryEvent, memoryId: string, cubeId: string, memoryMap: Readonly<Record<string, string>>, origin: { cubeId: string; memoryId: string; revision: number }): MemoryEvent {
  const remap = (id: string) => memoryMap[id] ?? id;
  switch (event.type) {
    case "MemoryCreated":
      return { type: event.type, data: { ...event.data, memoryId, cubeId, branchedFrom: origin } };
    case "MemoryMerged":
      return { type: event.type, data: { ...event.data, memoryId, successorId: remap(event.data.successorId) } };
    case "MemoryReverted":
      return { type: event.type, data: { ...event.data, memoryId, ...(event.data.successorId ? { successorId: remap(event.data.successorId) } : {}) } };
    default:
      return { type: event.type, data: { ...event.data, memoryId } } as MemoryEvent;
  }
}

import { Context, Effect, Either, Layer } from "effect";
import { decideHold, type HoldCommand } from "../../domain/legalHold/decideHold.js";
import { activeHolds, holdsCovering, type Hold, type HoldState } from "../../domain/legalHold/holdState.js";
import { parseIsoInstant, isoInstantRule } from "../../domain/time/isoInstant.js";
import { cubeNotFound, invalidRequest, memoryNotFound, type CubeNotFound, type InvalidRequest, type MemoryNotFound } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { Clock } from "../clock/clock.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import { holdStreamId } from "../../domain/legalHold/holdEvents.js";
import type { EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JsonValue } from "../jobs/jobBusPort.js";
import type { KeyStoreUnavailable } from "../keyStore/keyStorePort.js";
import { MemoryRepository } from "../memory/memoryRepository.js";
import { MemoryService } from "../memory/memoryService.js";
import { parseRequester, requesterOf } from "../scheduler/requester.js";
import { runForJob } from "../scheduler/runForJob.js";
import { cubeTenantReader } from "../tenancy/cubeTenant.js";
import { HoldRegistry } from "../holdCheck/holdRegistry.js";
import type { HoldView, ListHoldsOptions, PendingErasureView, PlaceHoldRequest, ResumedErasure } from "./holdsApi.js";
import { HoldConflict, HoldNotFound } from "../holdCheck/legalHoldErrors.js";

export const deferredErasureJobKind = "legal-hold.deferred-erasure";

export type HoldError = HoldNotFound | HoldConflict | InvalidRequest | MemoryNotFound | CubeNotFound | EventStoreUnavailable | IdempotencyConflict | KeyStoreUnavailable | InvalidJob | JobBusUnavailable;

export interface LegalHoldServiceApi {
  place(request: PlaceHoldRequest, ctx: CommandContext): Effect.Effect<HoldView, HoldError>;
  release(holdId: string, reason: string, ctx: CommandContext): Effect.Effect<HoldView, HoldError>;
  list(tenantId: string, options?: Omit<ListHoldsOptions, "tenantId">): Effect.Effect<readonly HoldView[], InvalidRequest | EventStoreUnavailable>;
  pending(tenantId: string): Effect.Effect<readonly PendingErasureView[], EventStoreUnavailable | KeyStoreUnavailable>;
  /** Sends every pending erasure that no active hold covers any more to the job bus (idempotent). */
  resumeReady(tenantId: string, ctx: CommandContext): Effect.Effect<readonly ResumedErasure[], EventStoreUnavailable | KeyStoreUnavailable | InvalidJob | JobBusUnavailable>;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class LegalHoldService extends Context.Tag("memledger/LegalHoldService")<LegalHoldService, LegalHoldServiceApi>() {}

const maxAttempts = 5;

const viewOf = (hold: Hold): HoldView => ({
  holdId: hold.holdId,
  scope: hold.scope,
  reason: hold.reason,
  placedBy: hold.placedBy,
  placedAt: hold.placedAt,
  active: hold.released === undefined,
  ...(hold.released !== undefined ? { released: { reason: hold.released.reason, releasedBy: hold.released.releasedBy, releasedAt: hold.released.releasedAt } } : {}),
});

export const layerLegalHoldService = Layer.effect(
  LegalHoldService,
  Effect.gen(function* () {
    const registry = yield* HoldRegistry;
    const memories = yield* MemoryService;
    const repo = yield* MemoryRepository;
    const bus = yield* JobBus;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;
    const store = yield* EventStore;
    const cubeTenant = cubeTenantReader(store);
    const run = runForJob(yield* Effect.runtime<never>());

    /** A hold names something of the caller's tenant: another tenant's unit or cube answers as a missing one. */
    const checkTarget = (request: PlaceHoldRequest, tenantId: string) =>
      Effect.gen(function* () {
        if (request.scope?.kind === "memory" && typeof request.scope.id === "string") {
          const unit = (yield* repo.load(request.scope.id)).projection.state;
          if (unit.status === "absent" || (yield* cubeTenant(unit.cubeId)) !== tenantId) return yield* Effect.fail(memoryNotFound(request.scope.id));
        }
        if (request.scope?.kind === "cube" && typeof request.scope.id === "string" && (yield* cubeTenant(request.scope.id)) !== tenantId) {
          return yield* Effect.fail(cubeNotFound(request.scope.id));
        }
      });

    /** read → decide → append at the revision read → retry on conflict. */
    const execute = (tenantId: string, command: HoldCommand, ctx: CommandContext, beforeAppend: (state: HoldState, revision: number) => Effect.Effect<unknown, HoldError> = () => Effect.void) =>
      Effect.gen(function* () {
        for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
          const { state, revision } = yield* registry.current(tenantId);
          const decision = decideHold(state, command);
          if (decision.kind === "rejected") {
            const { reason, field, message } = decision.rejection;
            if (reason === "not_found") return yield* Effect.fail(new HoldNotFound({ holdId: command.holdId, message }));
            if (reason === "conflict") return yield* Effect.fail(new HoldConflict({ holdId: command.holdId, message }));
            return yield* Effect.fail(invalidRequest(field, message));
          }
          yield* beforeAppend(state, revision);
          const appended = yield* Effect.either(registry.append(tenantId, decision.events, revision, ctx));
          if (Either.isRight(appended)) return (yield* registry.current(tenantId)).state.holds.get(command.holdId)!;
          if (appended.left._tag !== "ConcurrencyConflict") return yield* Effect.fail(appended.left);
        }
        return yield* Effect.die(new Error(`the hold stream of tenant ${tenantId} changed ${maxAttempts} times in a row; retry the request`));
      });

    const releasedUnder = (tenantId: string, holdId: string, commandId: string) =>
      Effect.map(
        store.readStream(holdStreamId(tenantId)).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[]))),
        (events) => events.some((e) => e.type === "HoldReleased" && (e.data as { holdId?: string }).holdId === holdId && e.metadata.commandId === commandId),
      );

    const unitOf = (memoryId: string) =>
      Effect.map(repo.load(memoryId), (loaded) => {
        const state = loaded.projection.state;
        return state.status === "absent" ? undefined : { memoryId, cubeId: state.cubeId, status: state.status, ...(loaded.subjectId !== undefined ? { subjectId: loaded.subjectId } : {}) };
      });

    const waitingOn = (state: HoldState, memoryId: string) =>
      Effect.map(unitOf(memoryId), (unit) => (unit === undefined ? [] : holdsCovering(state, unit).map((h) => h.holdId)));

    /**
     * Enqueues the pending erasures that no hold would cover once `releasing` is released (or that none covers
     * now, when it is undefined). A job names the hold whose release it waits for, so it can be enqueued
     * before that release is appended: a crash in between leaves a job that finds the hold still active and
     * retries until it gives up, never a release whose erasures were not sent.
     */
    const enqueueFreed = (tenantId: string, state: HoldState, revision: number, ctx: CommandContext, releasing?: string) =>
      Effect.gen(function* () {
        const after: HoldState = releasing === undefined ? state : { ...state, holds: new Map([...state.holds].filter(([id]) => id !== releasing)) };
        const resumed: ResumedErasure[] = [];
        for (const pending of state.pending.values()) {
          if ((yield* waitingOn(after, pending.memoryId)).length > 0) continue;
          const { job } = yield* bus.enqueue({
            kind: deferredErasureJobKind,
            key: pending.memoryId,
            payload: { erasureId: pending.erasureId, memoryId: pending.memoryId, ...(releasing !== undefined ? { afterRelease: releasing } : {}), ...requesterOf(ctx, pending.erasureId) },
            // One job per erasure and release (or state of the hold stream): a retried release adds none.
            idempotencyKey: `deferred-erasure:${tenantId}:${pending.erasureId}:${releasing !== undefined ? `release:${releasing}` : `rev:${revision}`}`,
          });
          resumed.push({ erasureId: pending.erasureId, memoryId: pending.memoryId, jobId: job.jobId });
        }
        return resumed;
      });

    const resumeReady: LegalHoldServiceApi["resumeReady"] = (tenantId, ctx) =>
      Effect.flatMap(registry.current(tenantId), ({ state, revision }) => enqueueFreed(tenantId, state, revision, ctx));

    const complete = (tenantId: string, erasureId: string, memoryId: string, ctx: CommandContext) =>
      Effect.gen(function* () {
        for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
          const { state, revision } = yield* registry.current(tenantId);
          if (!state.pending.has(erasureId)) return;
          const appended = yield* Effect.either(
            registry.append(tenantId, [{ type: "DeferredErasureCompleted", data: { erasureId, memoryId, completedAt: clock.now().toISOString() } }], revision, ctx, [nameBasedId(`deferred-erasure-completed:${erasureId}`)]),
          );
          if (Either.isRight(appended)) return;
          if (appended.left._tag !== "ConcurrencyConflict") return yield* Effect.fail(appended.left);
        }
      });

    /** Erases the unit a hold kept, as the system acting on the original request; a job retried after a crash erases once. */
    const deferredErasure: JobHandler = (job) =>
      run(
        Effect.gen(function* () {
          const { fields, ...requester } = parseRequester(job.payload, job);
          const erasureId = String(fields.erasureId);
          const { state } = yield* registry.current(requester.tenantId);
          const pending = state.pending.get(erasureId);
          const result = (value: { readonly [key: string]: JsonValue }): JsonValue => value;
          if (pending === undefined) return result({ erasureId, skipped: "already completed" });
          // Sent just before its release was appended: wait (retry) until the release is in the log.
          const afterRelease = typeof fields.afterRelease === "string" ? state.holds.get(fields.afterRelease) : undefined;
          if (afterRelease !== undefined && afterRelease.released === undefined) {
            return yield* Effect.die(new Error(`hold ${afterRelease.holdId} is not recorded as released yet; erasure ${erasureId} waits for it (retried)`));
          }
          const ctx: CommandContext = {
            tenantId: requester.tenantId,
            actor: "system:legal-hold",
            correlationId: requester.correlationId,
            causationId: job.jobId,
            commandId: `deferred-erasure:${erasureId}`,
            reason: `erasure requested by ${pending.requestedBy} at ${pending.requestedAt} (${pending.reason}), deferred under legal hold ${pending.holdIds.join(", ")} until released`,
          };
          const erased = yield* Effect.either(memories.erase(pending.memoryId, ctx, pending.scope));
          if (Either.isLeft(erased)) {
            // A new hold came first: the erasure stays pending and waits for that one's release.
            if (erased.left._tag === "LegalHoldActive") return result({ erasureId, waitingOn: erased.left.holds.map((h) => h.holdId) });
            const unit = yield* unitOf(pending.memoryId);
            if (!(erased.left._tag === "TransitionRejected" && unit?.status === "erased") && erased.left._tag !== "MemoryNotFound") return yield* Effect.fail(erased.left);
          }
          yield* complete(requester.tenantId, erasureId, pending.memoryId, ctx);
          return result({ erasureId, erased: pending.memoryId });
        }),
      );

    const api: LegalHoldServiceApi = {
      place: (request, ctx) =>
        Effect.gen(function* () {
          yield* checkTarget(request, ctx.tenantId);
          const holdId = ctx.commandId ? nameBasedId(`hold:${ctx.tenantId}:${ctx.commandId}`) : ids.newId();
          // A retried request (same Idempotency-Key) gets the hold its first attempt placed.
          const earlier = (yield* registry.current(ctx.tenantId)).state.holds.get(holdId);
          if (earlier !== undefined && ctx.commandId) return viewOf(earlier);
          const hold = yield* execute(ctx.tenantId, { type: "placeHold", holdId, scope: request.scope, reason: request.reason, by: ctx.actor, at: clock.now().toISOString() }, ctx);
          return viewOf(hold);
        }),
      release: (holdId, reason, ctx) =>
        Effect.gen(function* () {
          // A retried request (same Idempotency-Key) gets the release its first attempt recorded, not a 409.
          if (ctx.commandId !== undefined && (yield* releasedUnder(ctx.tenantId, holdId, ctx.commandId))) {
            const { state, revision } = yield* registry.current(ctx.tenantId);
            const resumedErasures = yield* enqueueFreed(ctx.tenantId, state, revision, { ...ctx, reason: `hold ${holdId} released: ${reason}` }, holdId);
            return { ...viewOf(state.holds.get(holdId)!), resumedErasures };
          }
          const jobCtx = { ...ctx, reason: `hold ${holdId} released: ${reason}` };
          const command: HoldCommand = { type: "releaseHold", holdId, reason, by: ctx.actor, at: clock.now().toISOString() };
          // The erasures the release frees are enqueued first, then the release appended: nothing acknowledged is lost in a crash.
          const hold = yield* execute(ctx.tenantId, command, ctx, (state, revision) => enqueueFreed(ctx.tenantId, state, revision, jobCtx, holdId));
          const { state, revision } = yield* registry.current(ctx.tenantId);
          const resumedErasures = yield* enqueueFreed(ctx.tenantId, state, revision, jobCtx, holdId);
          return { ...viewOf(hold), resumedErasures };
        }),
      list: (tenantId, options = {}) =>
        Effect.gen(function* () {
          if (options.asOfTime !== undefined && parseIsoInstant(options.asOfTime) === undefined) return yield* Effect.fail(invalidRequest("asOfTime", `must be ${isoInstantRule}`));
          const state = options.asOfTime !== undefined ? yield* registry.asOf(tenantId, options.asOfTime) : (yield* registry.current(tenantId)).state;
          return (options.includeReleased ? [...state.holds.values()] : activeHolds(state)).map(viewOf);
        }),
      pending: (tenantId) =>
        Effect.gen(function* () {
          const { state } = yield* registry.current(tenantId);
          const out: PendingErasureView[] = [];
          for (const p of state.pending.values()) out.push({ ...p, waitingOn: yield* waitingOn(state, p.memoryId) });
          return out;
        }),
      resumeReady,
      handlers: { [deferredErasureJobKind]: deferredErasure },
    };
    return api;
  }),
);

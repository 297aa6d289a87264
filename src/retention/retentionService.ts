import { Context, Effect, Either, Layer } from "effect";
import { holdsCovering } from "../../domain/legalHold/holdState.js";
import { planRetention, type PlannedAction, type RetentionCandidate, type RetentionPlan } from "../../domain/retention/planRetention.js";
import { retentionEventCatalog, retentionStreamId, type RetentionEvent, type RetentionSweepRecorded } from "../../domain/retention/retentionEvents.js";
import { defaultSweepEveryHours, policyProblem, type RetentionPolicy } from "../../domain/retention/retentionPolicy.js";
import { cubeNotFound, invalidRequest, type CubeNotFound, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { Clock } from "../clock/clock.js";
import { CubeService, type CubeError } from "../cube/cubeService.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JobRecord, type JsonValue } from "../jobs/jobBusPort.js";
import { HoldRegistry } from "../holdCheck/holdRegistry.js";
import { MemoryService, type MemoryWriteError } from "../memory/memoryService.js";
import { actingFor, parseRequester, requesterOf, type Requester } from "../scheduler/requester.js";
import { runForJob } from "../scheduler/runForJob.js";
import type { RetentionDryRun, RetentionPolicyView, RetentionRunReport } from "./retentionApi.js";
import { retentionPolicyNotFound, type RetentionPolicyNotFound } from "./retentionErrors.js";

export const retentionPolicySweepJobKind = "cube.retention-policy-sweep";

export type RetentionError = RetentionPolicyNotFound | CubeNotFound | InvalidRequest | CubeError | ConcurrencyConflict | IdempotencyConflict | EventStoreUnavailable | InvalidJob | JobBusUnavailable;

export interface RetentionServiceApi {
  setPolicy(cubeId: string, policy: RetentionPolicy, ctx: CommandContext): Effect.Effect<RetentionPolicyView, RetentionError>;
  /** `tenantId` undefined (trusted code): the cube's own tenant. */
  getPolicy(cubeId: string, tenantId?: string): Effect.Effect<RetentionPolicyView, RetentionError>;
  removePolicy(cubeId: string, ctx: CommandContext): Effect.Effect<{ readonly cubeId: string; readonly removed: true }, RetentionError>;
  dryRun(cubeId: string, tenantId: string | undefined, policy?: RetentionPolicy): Effect.Effect<RetentionDryRun, RetentionError>;
  runs(cubeId: string, tenantId?: string): Effect.Effect<readonly RetentionRunReport[], RetentionError>;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class RetentionService extends Context.Tag("memledger/RetentionService")<RetentionService, RetentionServiceApi>() {}

/** The policy in force: the last set, unless removed after it. */
interface PolicyInForce {
  readonly policy: RetentionPolicy;
  readonly revision: number;
  readonly setAt: string;
  readonly setBy: string;
}

type SweepPayload = Requester & { readonly cubeId: string; readonly policyRevision: number; readonly run: number };

const hourMs = 3_600_000;

function parsePayload(job: JobRecord): SweepPayload {
  const { fields, ...requester } = parseRequester(job.payload, job);
  if (typeof fields.cubeId !== "string" || typeof fields.policyRevision !== "number" || typeof fields.run !== "number") {
    throw new Error(`job ${job.jobId} has a malformed ${retentionPolicySweepJobKind} payload: it needs cubeId, policyRevision and run`);
  }
  return { ...requester, cubeId: fields.cubeId, policyRevision: fields.policyRevision, run: fields.run };
}

/** Storage trouble is worth a retry of the whole sweep (its commands are idempotent); anything else is the unit's own story. */
const transient = new Set(["EventStoreUnavailable", "KeyStoreUnavailable", "TooMuchContention"]);

export const layerRetentionService = Layer.effect(
  RetentionService,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const cubes = yield* CubeService;
    const memories = yield* MemoryService;
    const registry = yield* HoldRegistry;
    const bus = yield* JobBus;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;
    const run = runForJob(yield* Effect.runtime<never>());

    const readStream = (cubeId: string) =>
      store.readStream(retentionStreamId(cubeId)).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));

    const inForce = (events: readonly RecordedEvent[]): PolicyInForce | undefined => {
      let current: PolicyInForce | undefined;
      for (const e of events) {
        const event = { type: e.type, data: e.data } as RetentionEvent;
        if (event.type === "RetentionPolicySet") current = { policy: event.data.policy, revision: e.revision, setAt: e.metadata.recordedAt, setBy: e.metadata.actor };
        else if (event.type === "RetentionPolicyRemoved") current = undefined;
      }
      return current;
    };

    /** The cube, if it is the caller's tenant's: another tenant's cube answers as a missing one. */
    const ownCube = (cubeId: string, tenantId: string | undefined) =>
      Effect.gen(function* () {
        const owner = yield* cubes.tenantOf(cubeId);
        if (owner === undefined || (tenantId !== undefined && owner !== tenantId)) return yield* Effect.fail(cubeNotFound(cubeId));
        return owner;
      });

    const append = (cubeId: string, events: readonly RetentionEvent[], expected: number | "any", ctx: CommandContext, eventIds?: readonly string[]) =>
      store.append(
        retentionStreamId(cubeId),
        events.map((event, i) => ({ eventId: eventIds?.[i] ?? ids.newId(), type: event.type, schemaVersion: retentionEventCatalog[event.type].schemaVersion, data: event.data, metadata: eventMetadata(ctx, clock, ids, { cubeId }) })),
        expected === "any" ? "any" : expected < 0 ? "no_stream" : expected,
      );

    const enqueueSweep = (payload: SweepPayload, notBeforeMs: number) =>
      bus.enqueue({
        kind: retentionPolicySweepJobKind,
        key: payload.cubeId,
        cubeId: payload.cubeId,
        payload,
        // The job bus runs on wall-clock time (see scheduler/dueTime.ts); the ages the policy judges are on the event clock.
        notBefore: new Date(notBeforeMs).toISOString(),
        // One job per policy revision and run number: a sweep retried after a crash enqueues the same next run, never a second one.
        idempotencyKey: `retention-policy:${payload.tenantId}:${payload.cubeId}:v${payload.policyRevision}:run${payload.run}`,
      });

    /** The plan for a cube now: its units, their memory types and ages, and the holds that cover them. */
    const plan = (cubeId: string, tenantId: string, policy: RetentionPolicy): Effect.Effect<RetentionPlan, CubeError> =>
      Effect.gen(function* () {
        const units = yield* cubes.listMemories(cubeId, {}, tenantId);
        const { state } = yield* registry.current(tenantId);
        const candidates: RetentionCandidate[] = units.map((u) => ({
          memoryId: u.memoryId,
          status: u.status,
          memoryType: u.attributes.memoryType,
          updatedAt: u.updatedAt,
          holdIds: holdsCovering(state, { memoryId: u.memoryId, cubeId, ...(u.subjectId !== undefined ? { subjectId: u.subjectId } : {}) }).map((h) => h.holdId),
        }));
        return planRetention(policy, candidates, clock.now());
      });

    const apply = (step: PlannedAction, ctx: CommandContext): Effect.Effect<unknown, MemoryWriteError> =>
      step.action === "erase" ? memories.erase(step.memoryId, ctx, "memory") : step.action === "freeze" ? memories.freeze(step.memoryId, "retention", step.why, ctx) : memories.archive(step.memoryId, ctx);

    const sweep: JobHandler = (job) =>
      run(
        Effect.gen(function* () {
          const p = parsePayload(job);
          const events = yield* readStream(p.cubeId);
          const policy = inForce(events);
          const result = (value: { readonly [key: string]: JsonValue }): JsonValue => value;
          // A replaced policy runs its own chain; a removed one runs none. Either way this chain ends here.
          if (policy === undefined || policy.revision !== p.policyRevision) return result({ cubeId: p.cubeId, stopped: policy === undefined ? "the policy was removed" : `the policy was replaced (now revision ${policy.revision})` });
          const reportId = nameBasedId(`retention-report:${job.jobId}`);
          const next = { ...p, run: p.run + 1 };
          const everyMs = (policy.policy.sweepEveryHours ?? defaultSweepEveryHours) * hourMs;
          const already = events.find((e) => e.eventId === reportId);
          if (already === undefined) {
            const planned = yield* plan(p.cubeId, p.tenantId, policy.policy);
            const base = actingFor(p, job, "system:retention", `retention policy of cube ${p.cubeId} (revision ${policy.revision})`);
            const done: PlannedAction[] = [];
            const skipped = [...planned.skipped];
            const failed: { memoryId: string; action: string; error: string }[] = [];
            for (const step of planned.actions) {
              // One command id per unit and job: a sweep that crashed halfway changes each unit once when it runs again.
              const ctx: CommandContext = { ...base, reason: `retention policy of cube ${p.cubeId} (revision ${policy.revision}): ${step.why}`, commandId: `job:${job.jobId}:${step.action}:${step.memoryId}` };
              const outcome = yield* Effect.either(apply(step, ctx));
              if (Either.isRight(outcome)) done.push(step);
              else if (outcome.left._tag === "LegalHoldActive") skipped.push({ memoryId: step.memoryId, action: step.action, why: "a legal hold was placed during the sweep", holdIds: outcome.left.holds.map((h) => h.holdId) });
              else if (transient.has(outcome.left._tag)) return yield* Effect.fail(outcome.left);
              else failed.push({ memoryId: step.memoryId, action: step.action, error: outcome.left.message });
            }
            const nextRunAt = new Date(Date.now() + everyMs).toISOString();
            const { job: nextJob } = yield* enqueueSweep(next, Date.parse(nextRunAt));
            const report: RetentionSweepRecorded["data"] = { cubeId: p.cubeId, jobId: job.jobId, policyRevision: policy.revision, at: planned.at, actions: done, skipped, failed, nextRunAt: nextJob.notBefore };
            yield* append(p.cubeId, [{ type: "RetentionSweepRecorded", data: report }], "any", base, [reportId]);
            return result({ cubeId: p.cubeId, applied: done.length, skipped: skipped.length, failed: failed.length, nextJobId: nextJob.jobId });
          }
          // The report is written but the job did not finish: make sure the next run exists, change nothing else.
          const { job: nextJob } = yield* enqueueSweep(next, Date.now() + everyMs);
          return result({ cubeId: p.cubeId, reported: reportId, nextJobId: nextJob.jobId });
        }),
      );

    const api: RetentionServiceApi = {
      setPolicy: (cubeId, policy, ctx) =>
        Effect.gen(function* () {
          yield* ownCube(cubeId, ctx.tenantId);
          const problem = policyProblem(policy);
          if (problem !== undefined) return yield* Effect.fail(invalidRequest(problem[0], problem[1]));
          const events = yield* readStream(cubeId);
          const revision = events.length - 1;
          const eventId = ctx.commandId ? nameBasedId(`retention-policy:${cubeId}:${ctx.commandId}`) : undefined;
          // A retried request (same Idempotency-Key) gets the policy its first attempt set, and no second chain.
          const earlier = eventId !== undefined ? events.find((e) => e.eventId === eventId) : undefined;
          if (earlier !== undefined) {
            const data = earlier.data as { policy: RetentionPolicy };
            return { cubeId, policy: data.policy, revision: earlier.revision, setAt: earlier.metadata.recordedAt, setBy: earlier.metadata.actor };
          }
          const normalized: RetentionPolicy = {
            rules: policy.rules.map((r) => ({
              memoryType: r.memoryType,
              ...(r.archiveAfterDays !== undefined ? { archiveAfterDays: r.archiveAfterDays } : {}),
              ...(r.freezeAfterDays !== undefined ? { freezeAfterDays: r.freezeAfterDays } : {}),
              ...(r.eraseAfterDays !== undefined ? { eraseAfterDays: r.eraseAfterDays } : {}),
            })),
            ...(policy.sweepEveryHours !== undefined ? { sweepEveryHours: policy.sweepEveryHours } : {}),
          };
          const appended = yield* append(cubeId, [{ type: "RetentionPolicySet", data: { cubeId, policy: normalized } }], revision, ctx, eventId !== undefined ? [eventId] : undefined);
          const set = inForce(yield* readStream(cubeId))!;
          const { job } = yield* enqueueSweep({ cubeId, policyRevision: appended.nextExpectedRevision, run: 0, ...requesterOf(ctx, cubeId) }, Date.now());
          return { cubeId, policy: set.policy, revision: set.revision, setAt: set.setAt, setBy: set.setBy, sweepJobId: job.jobId };
        }),
      getPolicy: (cubeId, tenantId) =>
        Effect.gen(function* () {
          yield* ownCube(cubeId, tenantId);
          const policy = inForce(yield* readStream(cubeId));
          if (policy === undefined) return yield* Effect.fail(retentionPolicyNotFound(cubeId));
          return { cubeId, ...policy };
        }),
      removePolicy: (cubeId, ctx) =>
        Effect.gen(function* () {
          yield* ownCube(cubeId, ctx.tenantId);
          const events = yield* readStream(cubeId);
          if (inForce(events) === undefined) return yield* Effect.fail(retentionPolicyNotFound(cubeId));
          yield* append(cubeId, [{ type: "RetentionPolicyRemoved", data: { cubeId } }], events.length - 1, ctx);
          return { cubeId, removed: true as const };
        }),
      dryRun: (cubeId, tenantId, candidate) =>
        Effect.gen(function* () {
          const owner = yield* ownCube(cubeId, tenantId);
          if (candidate !== undefined) {
            const problem = policyProblem(candidate);
            if (problem !== undefined) return yield* Effect.fail(invalidRequest(problem[0], problem[1]));
          }
          const policy = candidate ?? inForce(yield* readStream(cubeId))?.policy;
          if (policy === undefined) return yield* Effect.fail(retentionPolicyNotFound(cubeId));
          return { cubeId, dryRun: true as const, ...(yield* plan(cubeId, owner, policy)) };
        }),
      runs: (cubeId, tenantId) =>
        Effect.gen(function* () {
          yield* ownCube(cubeId, tenantId);
          return (yield* readStream(cubeId))
            .filter((e) => e.type === "RetentionSweepRecorded")
            .map((e) => ({ ...(e.data as RetentionSweepRecorded["data"]), recordedAt: e.metadata.recordedAt, eventId: e.eventId }));
        }),
      handlers: { [retentionPolicySweepJobKind]: sweep },
    };
    return api;
  }),
);

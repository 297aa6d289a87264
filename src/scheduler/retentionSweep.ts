import { Context, Effect, Either, Layer } from "effect";
import { invalidRequest, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { Clock } from "../clock/clock.js";
import { CubeService, type CubeError } from "../cube/cubeService.js";
import { dueTime, type WhenRequest } from "./dueTime.js";
import { runForJob } from "./runForJob.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JobRecord, type JsonValue } from "../jobs/jobBusPort.js";
import { MemoryService } from "../memory/memoryService.js";
import { actingFor, parseRequester, requesterOf, type Requester } from "./requester.js";

export const retentionSweepJobKind = "cube.retention-sweep";

/**
 * "Archive what nobody touched for N days": a delayed job over one cube that
 * sends an ordinary archive command to every activated unit last changed before
 * the cut-off. The cut-off is taken when the job runs, on the event clock (the
 * clock that stamped `updatedAt`). Units that changed meanwhile are left alone.
 */
/** Runs at `at`, or `afterSeconds` from now, or now when neither is given. */
export interface RetentionSweepRequest extends WhenRequest {
  readonly olderThanDays: number;
}

type SweepPayload = Requester & { readonly cubeId: string; readonly olderThanDays: number };

export interface RetentionSweepsApi {
  schedule(cubeId: string, request: RetentionSweepRequest, ctx: CommandContext): Effect.Effect<JobRecord, InvalidRequest | InvalidJob | JobBusUnavailable | CubeError>;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class RetentionSweeps extends Context.Tag("memledger/RetentionSweeps")<RetentionSweeps, RetentionSweepsApi>() {}

const dayMs = 86_400_000;

function parsePayload(job: JobRecord): SweepPayload {
  const { fields, ...requester } = parseRequester(job.payload, job);
  if (typeof fields.cubeId !== "string" || fields.cubeId === "" || typeof fields.olderThanDays !== "number") {
    throw new Error(`job ${job.jobId} has a malformed ${retentionSweepJobKind} payload: it needs cubeId and olderThanDays`);
  }
  return { ...requester, cubeId: fields.cubeId, olderThanDays: fields.olderThanDays };
}

export const layerRetentionSweeps = Layer.effect(
  RetentionSweeps,
  Effect.gen(function* () {
    const memories = yield* MemoryService;
    const cubes = yield* CubeService;
    const bus = yield* JobBus;
    const clock = yield* Clock;
    const run = runForJob(yield* Effect.runtime<never>());

    const schedule: RetentionSweepsApi["schedule"] = (cubeId, request, ctx) =>
      Effect.gen(function* () {
        if (typeof request.olderThanDays !== "number" || !(request.olderThanDays > 0) || request.olderThanDays > 36_500) {
          return yield* Effect.fail(invalidRequest("olderThanDays", "must be a number of days between 0 and 36500"));
        }
        const dueMs = dueTime(request, { required: false });
        if (typeof dueMs !== "number") return yield* Effect.fail(dueMs);
        yield* cubes.get(cubeId);
        const payload: SweepPayload = {
          cubeId,
          olderThanDays: request.olderThanDays,
          ...requesterOf(ctx, cubeId),
        };
        const { job } = yield* bus.enqueue({
          kind: retentionSweepJobKind,
          key: cubeId,
          cubeId,
          payload,
          notBefore: new Date(dueMs).toISOString(),
          ...(ctx.commandId ? { idempotencyKey: `retention:${ctx.tenantId}:${cubeId}:${ctx.commandId}` } : {}),
        });
        return job;
      });

    const handler: JobHandler = (job) =>
      run(
        Effect.gen(function* () {
          const p = parsePayload(job);
          const cutoff = clock.now().getTime() - p.olderThanDays * dayMs;
          const ctx = actingFor(p, job, "system:retention", `retention sweep (unchanged for ${p.olderThanDays} days)`);
          const candidates = yield* cubes.listMemories(p.cubeId, { statuses: ["activated"] });
          const archived: string[] = [];
          let skipped = 0;
          for (const unit of candidates) {
            if (Date.parse(unit.updatedAt) >= cutoff) continue;
            // One command id per unit and job: a sweep that crashed halfway archives each unit once when it runs again.
            const outcome = yield* Effect.either(memories.archive(unit.memoryId, { ...ctx, commandId: `job:${job.jobId}:archive:${unit.memoryId}` }));
            if (Either.isRight(outcome)) archived.push(unit.memoryId);
            // A unit under legal hold is skipped like one that moved on: the hold binds the sweep too.
            else if (outcome.left._tag === "TransitionRejected" || outcome.left._tag === "MemoryNotFound" || outcome.left._tag === "LegalHoldActive") skipped += 1;
            else return yield* Effect.fail(outcome.left);
          }
          const result: JsonValue = { checked: candidates.length, archived, skipped, cutoff: new Date(cutoff).toISOString() };
          return result;
        }),
      );

    return { schedule, handlers: { [retentionSweepJobKind]: handler } };
  }),
);

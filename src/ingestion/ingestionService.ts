import { Context, Effect, Layer, Option } from "effect";
import type { MemoryView } from "../../projections/memoryView.js";
import { invalidRequest, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JobRecord } from "../jobs/jobBusPort.js";
import { actingFor, parseRequester, requesterOf, type Requester } from "../scheduler/requester.js";
import { runForJob } from "../scheduler/runForJob.js";
import { MemoryService, type MemoryWriteError, type NewMemoryInput } from "../memory/memoryService.js";
import { IngestionFailed } from "./ingestionErrors.js";
import { IngestionSteps, type IngestionStep } from "./ingestionStep.js";
import { checkSyncAdd, defaultSyncAddLimits, SyncAddLimitsConfig, type SyncAddTooLarge } from "./syncAddLimits.js";
import { yieldToEventLoop } from "../command/yieldToEventLoop.js";
import { enqueueDecisions } from "../memoryDecisions/enqueueDecisions.js";

export const ingestJobKind = "memory.ingest";

/** sync: returns once every unit is activated. async: returns at once with unit ids and a job id. */
export type IngestMode = "sync" | "async";

export type NewMemoryItem = Omit<NewMemoryInput, "cubeId" | "activate">;

export interface AddMemoriesRequest {
  readonly memories: readonly NewMemoryItem[];
  readonly mode?: IngestMode;
}

export type AddMemoriesResult =
  | { readonly mode: "sync"; readonly memories: readonly MemoryView[] }
  | { readonly mode: "async"; readonly memoryIds: readonly string[]; readonly job: JobRecord };

/** What the job needs to act for the original caller; no personal content (that stays sealed in the log). */
type IngestPayload = Requester & { readonly memoryIds: readonly string[] };

function parseIngestPayload(job: JobRecord): IngestPayload {
  const { fields, ...requester } = parseRequester(job.payload, job);
  const ids = fields.memoryIds;
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === "string" && id !== "")) {
    throw new Error(`job ${job.jobId} has a malformed ${ingestJobKind} payload: memoryIds must list memory ids`);
  }
  return { ...requester, memoryIds: ids };
}

export type AddMemoriesError = MemoryWriteError | InvalidJob | JobBusUnavailable | IngestionFailed | SyncAddTooLarge;

export interface IngestionApi {
  add(cubeId: string, request: AddMemoriesRequest, ctx: CommandContext): Effect.Effect<AddMemoriesResult, AddMemoriesError | InvalidRequest>;
  /** The job handlers a worker runs for ingestion. */
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class Ingestion extends Context.Tag("memledger/Ingestion")<Ingestion, IngestionApi>() {}

export const maxMemoriesPerAdd = 1_000;

/** Units of one sync add processed at once, so their embeddings share inference runs (microBatchingEmbedder). */
const syncProcessingConcurrency = 16;

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const layerIngestion = Layer.effect(
  Ingestion,
  Effect.gen(function* () {
    const memories = yield* MemoryService;
    const bus = yield* JobBus;
    const steps = yield* IngestionSteps;
    const ids = yield* IdGenerator;
    const syncLimits = Option.getOrElse(yield* Effect.serviceOption(SyncAddLimitsConfig), () => defaultSyncAddLimits);
    const runtime = yield* Effect.runtime<never>();
    const run = runForJob(runtime);

    /** The steps, then activation; a failing step is recorded on the unit and rethrown. */
    const processUnit = (view: MemoryView, jobId: string, attempt: number, willRetry: boolean, ctx: CommandContext, signal: AbortSignal) =>
      Effect.gen(function* () {
        for (const step of steps) {
          const outcome = yield* Effect.either(Effect.tryPromise({ try: () => step.run(view, { signal }), catch: (cause) => cause }));
          if (outcome._tag === "Left") {
            const error = `${step.name}: ${describe(outcome.left)}`;
            yield* memories.recordProcessingFailure(view.memoryId, { jobId, attempt, error, willRetry }, { ...ctx, commandId: `job:${jobId}:failed:${attempt}:${view.memoryId}` });
            return yield* Effect.fail(new IngestionFailed({ memoryId: view.memoryId, jobId, step: step.name, message: `processing memory ${view.memoryId} failed at step ${step.name}: ${describe(outcome.left)}; the unit stays generated with the error recorded${willRetry ? " and the job retries" : ""}` }));
          }
        }
        return yield* memories.activate(view.memoryId, { ...ctx, commandId: `job:${jobId}:activate:${view.memoryId}` });
      });

    const add: IngestionApi["add"] = (cubeId, request, ctx) =>
      Effect.gen(function* () {
        const items = request.memories;
        if (!Array.isArray(items) || items.length === 0) return yield* Effect.fail(invalidRequest("memories", "must list at least one memory"));
        if (items.length > maxMemoriesPerAdd) return yield* Effect.fail(invalidRequest("memories", `lists ${items.length} memories; send at most ${maxMemoriesPerAdd} per call`));
        const mode = request.mode ?? "sync";
        const tooLarge = mode === "sync" ? checkSyncAdd(items, syncLimits) : undefined;
        if (tooLarge) return yield* Effect.fail(tooLarge);
        // With an idempotency key, a retried call addresses the same units (and so the same job) instead of adding new ones.
        const key = ctx.commandId;
        const memoryIds = items.map((item, i) => item.memoryId ?? (key ? nameBasedId(`${ctx.tenantId}:${cubeId}:${key}:${i}`) : ids.newId()));
        const correlationId = ctx.correlationId ?? ids.newId();
        // With no processing steps a sync add has nothing to wait for: create and activate in one append.
        const activateAtOnce = mode === "sync" && steps.length === 0;
        const created: MemoryView[] = [];
        // Source first: every unit is durable (generated) before any job refers to it.
        for (const [i, item] of items.entries()) {
          if (i > 0) yield* yieldToEventLoop; // each append is a synchronous fsync: let requests in between
          created.push(
            yield* memories.create({ ...item, cubeId, memoryId: memoryIds[i]!, activate: activateAtOnce }, { ...ctx, correlationId, ...(key ? { commandId: `${key}:${i}` } : {}) }),
          );
        }
        if (mode === "sync") {
          // Keyed: a retry activates under the same command ids and so gets the first attempt's answer.
          const jobId = key ? `sync-${key}` : `sync-${correlationId}`;
          const activated = yield* Effect.forEach(
            created,
            (view) => (view.status === "generated" ? processUnit(view, jobId, 1, false, { ...ctx, correlationId }, new AbortController().signal) : Effect.succeed(view)),
            { concurrency: syncProcessingConcurrency },
          );
          // Merge decisions on what was just activated run as a durable job (src/memoryDecisions/); the answer does not wait for them.
          const decidable = activated.filter((v) => v.status === "activated").map((v) => v.memoryId);
          if (decidable.length > 0) yield* enqueueDecisions(bus, cubeId, decidable, { ...ctx, correlationId });
          return { mode: "sync" as const, memories: activated };
        }
        const payload: IngestPayload = { ...requesterOf({ ...ctx, correlationId }, correlationId), memoryIds };
        const { job } = yield* bus.enqueue({ kind: ingestJobKind, key: cubeId, cubeId, payload, idempotencyKey: `ingest:${memoryIds[0]}` });
        return { mode: "async" as const, memoryIds, job };
      });

    const ingestHandler: JobHandler = (job, context) =>
      run(
        Effect.gen(function* () {
          const payload = parseIngestPayload(job);
          const ctx = actingFor(payload, job, "system:ingestion", "async ingestion");
          const activated: string[] = [];
          const skipped: string[] = [];
          for (const memoryId of payload.memoryIds) {
            const view = yield* memories.get(memoryId);
            // Already activated by an earlier run that crashed, or archived/erased meanwhile: nothing to do.
            if (view.status !== "generated") {
              skipped.push(memoryId);
              continue;
            }
            yield* processUnit(view, job.jobId, context.attempt, context.attempt < job.maxAttempts, ctx, context.signal);
            activated.push(memoryId);
          }
          // Units an earlier, crashed run activated are decided on too: the batch enqueues one decision job, however often it runs.
          const decidable = [...activated, ...(yield* Effect.forEach(skipped, (id) => memories.get(id))).filter((v) => v.status === "activated").map((v) => v.memoryId)];
          if (decidable.length > 0) yield* enqueueDecisions(bus, job.cubeId ?? "", payload.memoryIds.filter((id) => decidable.includes(id)), { tenantId: payload.tenantId, actor: payload.actor, correlationId: payload.correlationId, ...(payload.reason !== undefined ? { reason: payload.reason } : {}) });
          return { activated, skipped };
        }),
      );

    return { add, handlers: { [ingestJobKind]: ingestHandler } };
  }),
);

export type { IngestionStep };

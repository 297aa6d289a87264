import { Context, Effect, Either, Layer } from "effect";
import { invalidRequest, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JobRecord, type JsonValue } from "../jobs/jobBusPort.js";
import { dueTime, type WhenRequest } from "./dueTime.js";
import { runForJob } from "./runForJob.js";
import { actingFor, parseRequester, requesterOf, type Requester } from "./requester.js";
import { MemoryService, type MemoryReadError } from "../memory/memoryService.js";

export const scheduledCommandJobKind = "memory.command";

/** Commands that make sense later: "archive this in 30 days", "freeze for retention at the end of the quarter". */
export type SchedulableCommand = "archive" | "freeze" | "activate";
export const schedulableCommands: readonly SchedulableCommand[] = ["archive", "freeze", "activate"];

/** Exactly one of `at` and `afterSeconds`. */
export interface ScheduleRequest extends WhenRequest {
  readonly command: SchedulableCommand;
  /** For freeze. */
  readonly freezeReason?: "legal_hold" | "retention" | "other";
  readonly note?: string;
}

type ScheduledPayload = Requester & {
  readonly memoryId: string;
  readonly command: SchedulableCommand;
  readonly freezeReason?: "legal_hold" | "retention" | "other";
  readonly note?: string;
};

export interface ScheduledCommandsApi {
  /** A durable delayed job that sends an ordinary command when due; no timer in memory is the source of truth. */
  schedule(memoryId: string, request: ScheduleRequest, ctx: CommandContext): Effect.Effect<JobRecord, InvalidRequest | InvalidJob | JobBusUnavailable | MemoryReadError>;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class ScheduledCommands extends Context.Tag("memledger/ScheduledCommands")<ScheduledCommands, ScheduledCommandsApi>() {}

/** Rejections that no retry can fix: the unit moved on (already archived, frozen, erased) or is gone. */
const permanentRejections = new Set(["TransitionRejected", "MemoryNotFound", "InvalidCommand", "LegalHoldActive"]);

const freezeReasons = ["legal_hold", "retention", "other"] as const;

function parsePayload(job: JobRecord): ScheduledPayload {
  const { fields, ...requester } = parseRequester(job.payload, job);
  const command = schedulableCommands.find((c) => c === fields.command);
  if (typeof fields.memoryId !== "string" || fields.memoryId === "" || command === undefined) {
    throw new Error(`job ${job.jobId} has a malformed ${scheduledCommandJobKind} payload: it needs memoryId and command`);
  }
  const freezeReason = freezeReasons.find((r) => r === fields.freezeReason);
  return {
    ...requester,
    memoryId: fields.memoryId,
    command,
    ...(freezeReason !== undefined ? { freezeReason } : {}),
    ...(typeof fields.note === "string" ? { note: fields.note } : {}),
  };
}

export const layerScheduledCommands = Layer.effect(
  ScheduledCommands,
  Effect.gen(function* () {
    const memories = yield* MemoryService;
    const bus = yield* JobBus;
    const run = runForJob(yield* Effect.runtime<never>());

    const schedule: ScheduledCommandsApi["schedule"] = (memoryId, request, ctx) =>
      Effect.gen(function* () {
        if (!schedulableCommands.includes(request.command)) {
          return yield* Effect.fail(invalidRequest("command", `must be one of ${schedulableCommands.join(", ")} (got "${String(request.command)}")`));
        }
        const dueMs = dueTime(request, { required: true });
        if (typeof dueMs !== "number") return yield* Effect.fail(dueMs);
        if (request.command === "freeze" && request.freezeReason === undefined) return yield* Effect.fail(invalidRequest("freezeReason", "is required to schedule a freeze"));
        const unit = yield* memories.get(memoryId);
        const payload: ScheduledPayload = {
          memoryId,
          command: request.command,
          ...(request.freezeReason !== undefined ? { freezeReason: request.freezeReason } : {}),
          ...(request.note !== undefined ? { note: request.note } : {}),
          ...requesterOf(ctx, memoryId),
        };
        const { job } = yield* bus.enqueue({
          kind: scheduledCommandJobKind,
          key: memoryId,
          cubeId: unit.cubeId,
          payload,
          notBefore: new Date(dueMs).toISOString(),
          // Scoped to the unit: the same key sent for another memory schedules that memory, not a replay of the first.
          ...(ctx.commandId ? { idempotencyKey: `schedule:${ctx.tenantId}:${memoryId}:${ctx.commandId}` } : {}),
        });
        return job;
      });

    const handler: JobHandler = (job) =>
      run(
        Effect.gen(function* () {
          const p = parsePayload(job);
          const ctx: CommandContext = { ...actingFor(p, job, "system:scheduler", `scheduled ${p.command}`), commandId: `job:${job.jobId}` };
          const command =
            p.command === "archive"
              ? memories.archive(p.memoryId, ctx)
              : p.command === "activate"
                ? memories.activate(p.memoryId, ctx)
                : memories.freeze(p.memoryId, p.freezeReason ?? "retention", p.note, ctx);
          const outcome = yield* Effect.either(command);
          const result = (value: { readonly [key: string]: JsonValue }): JsonValue => value;
          if (Either.isRight(outcome)) return result({ applied: p.command, revision: outcome.right.revision });
          // The unit moved on since the job was scheduled: record why and finish, retrying cannot help.
          if (permanentRejections.has(outcome.left._tag)) return result({ skipped: p.command, why: outcome.left.message });
          return yield* Effect.fail(outcome.left);
        }),
      );

    return { schedule, handlers: { [scheduledCommandJobKind]: handler } };
  }),
);

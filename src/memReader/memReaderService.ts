import { Context, Effect, Layer, Option } from "effect";
import type { MemoryView } from "../../projections/memoryView.js";
import type { AutomationProvenance } from "../../projections/envelope.js";
import { ChatModel, type ChatModelPort, type TokenUsage } from "../chatModel/chatModelPort.js";
import { ChatModelNotConfigured } from "../chatModel/chatModelErrors.js";
import { loadPrompt } from "../chatModel/promptLibrary.js";
import { addUsage, noUsage } from "../chatModel/tokenUsage.js";
import { invalidRequest, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { yieldToEventLoop } from "../command/yieldToEventLoop.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JobRecord } from "../jobs/jobBusPort.js";
import { MemoryService, type MemoryWriteError } from "../memory/memoryService.js";
import { actingFor, parseRequester, requesterOf, type Requester } from "../scheduler/requester.js";
import { runForJob } from "../scheduler/runForJob.js";
import { enqueueDecisions } from "../memoryDecisions/enqueueDecisions.js";
import { enqueuePreferenceInference } from "../preferences/enqueueInference.js";
import { checkAddMessages } from "./addMessagesValidation.js";
import type { AddMessagesRequest, ReaderMode } from "./conversationMessage.js";
import { extractedUnit, imageUnits, toolUnit, windowUnit, type PlannedUnit } from "./derivedUnits.js";
import { askForMemories, checkExtraction, turnsPerExtraction, type ExtractionRejects } from "./factExtraction.js";
import { defaultMemReaderSettings, MemReaderConfig, memReaderSettingsFromEnv, type MemReaderSettings } from "./memReaderSettings.js";
import { rawTurnUnit, turnOfRawUnit, type ReaderTurn } from "./readerTurn.js";
import { turnWindows } from "./turnWindows.js";

export const memReaderJobKind = "memreader.extract";

/** What reading a batch did; the job's result (JSON), and the answer of a sync call. */
export type ReadingReport = {
  readonly mode: ReaderMode;
  /** Raw turns read (an erased one is skipped). */
  readonly turns: number;
  readonly memoryIds: readonly string[];
  readonly windows: number;
  readonly facts: number;
  readonly tools: number;
  readonly images: number;
  /** Fine mode: what the model answered that did not hold up (unknown turn ids, unsourced memories, bad dates). */
  readonly rejects?: ExtractionRejects;
  /** Fine mode: the model's calls and tokens over the whole job (cost when prices are configured). */
  readonly usage?: { readonly model: string; readonly calls: number; readonly promptTokens: number; readonly completionTokens: number; readonly costUsd?: number };
};

export type AddMessagesResult =
  | { readonly mode: ReaderMode; readonly async: true; readonly rawMemoryIds: readonly string[]; readonly job: JobRecord }
  | { readonly mode: ReaderMode; readonly async: false; readonly rawMemoryIds: readonly string[]; readonly memories: readonly MemoryView[]; readonly report: ReadingReport };

export type AddMessagesError = MemoryWriteError | InvalidJob | JobBusUnavailable | InvalidRequest | ChatModelNotConfigured | Error;

export interface MemReaderApi {
  /** Stores each turn as a raw_source unit first, then extracts (a job, or before answering when `async: false`). */
  addMessages(cubeId: string, request: AddMessagesRequest, ctx: CommandContext): Effect.Effect<AddMessagesResult, AddMessagesError>;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class MemReader extends Context.Tag("memledger/MemReader")<MemReader, MemReaderApi>() {}

/** What the job needs: who asked, and the raw units; the turns themselves stay sealed in the log. */
type ReaderPayload = Requester & { readonly rawMemoryIds: readonly string[]; readonly mode: ReaderMode; readonly userId?: string };

function parseReaderPayload(job: JobRecord): ReaderPayload {
  const { fields, ...requester } = parseRequester(job.payload, job);
  const ids = fields.rawMemoryIds;
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === "string" && id !== "") || (fields.mode !== "fast" && fields.mode !== "fine")) {
    throw new Error(`job ${job.jobId} has a malformed ${memReaderJobKind} payload: it needs rawMemoryIds (memory ids) and mode (fast or fine)`);
  }
  return { ...requester, rawMemoryIds: ids, mode: fields.mode, ...(typeof fields.userId === "string" ? { userId: fields.userId } : {}) };
}

/** Consecutive turns of one session, at most `size` each: what one extraction call reads. */
function sessionChunks(turns: readonly ReaderTurn[], size: number): ReaderTurn[][] {
  const chunks: ReaderTurn[][] = [];
  for (const turn of turns) {
    const last = chunks.at(-1);
    if (last !== undefined && last.length < size && last[0]!.sessionId === turn.sessionId) last.push(turn);
    else chunks.push([turn]);
  }
  return chunks;
}

/** Sums what a job's model calls used (the job result reports it). */
function meter(model: ChatModelPort) {
  const total = { usage: noUsage, calls: 0, model: model.model };
  const count = <T extends { usage: TokenUsage; calls: number; model: string }>(answer: T): T => {
    total.usage = addUsage(total.usage, answer.usage);
    total.calls += answer.calls;
    total.model = answer.model;
    return answer;
  };
  const port: ChatModelPort = {
    model: model.model,
    complete: async (request) => count(await model.complete(request)),
    completeStructured: async <T>(request: Parameters<ChatModelPort["completeStructured"]>[0]) => count(await model.completeStructured<T>(request)),
    stream: (request) => model.stream(request),
  };
  return {
    port,
    report: () => ({ model: total.model, calls: total.calls, promptTokens: total.usage.promptTokens, completionTokens: total.usage.completionTokens, ...(total.usage.costUsd !== undefined ? { costUsd: total.usage.costUsd } : {}) }),
  };
}

const describeError = (cause: unknown) => (cause instanceof Error ? cause : new Error(String(cause)));

export const layerMemReader = Layer.effect(
  MemReader,
  Effect.gen(function* () {
    const memories = yield* MemoryService;
    const bus = yield* JobBus;
    const ids = yield* IdGenerator;
    const chatModel = Option.getOrUndefined(yield* Effect.serviceOption(ChatModel));
    const settings = Option.getOrElse(yield* Effect.serviceOption(MemReaderConfig), () => defaultMemReaderSettings);
    const runtime = yield* Effect.runtime<never>();
    const run = runForJob(runtime);

    /** Reads the raw turns and creates what they yield; every id and command id derives from the job, so a rerun adds nothing. */
    const read = (cubeId: string, payload: ReaderPayload, jobId: string, ctx: CommandContext, signal: AbortSignal) =>
      Effect.gen(function* () {
        const turns: ReaderTurn[] = [];
        for (const rawMemoryId of payload.rawMemoryIds) {
          const view = yield* memories.get(rawMemoryId).pipe(Effect.catchTag("MemoryNotFound", () => Effect.succeed(undefined)));
          // An erased turn is gone for good: nothing is read from it.
          const turn = view !== undefined && view.status !== "erased" ? turnOfRawUnit(view) : undefined;
          if (turn !== undefined) turns.push(turn);
        }
        const component = `memreader.${payload.mode}`;
        const ruleBased: AutomationProvenance = { component, jobId };
        const memoryIds: string[] = [];
        const created: MemoryView[] = [];
        // Stored as soon as known (a chunk's facts right after its answer): a failure later keeps them, and the rerun skips them by id.
        const store = (unit: PlannedUnit, automation: AutomationProvenance = ruleBased) =>
          Effect.gen(function* () {
            yield* yieldToEventLoop; // each append is a synchronous fsync: let requests in between
            const memoryId = nameBasedId(`${ctx.tenantId}:${cubeId}:memreader:${jobId}:${unit.label}`);
            created.push(yield* memories.create({ ...unit.input, cubeId, memoryId, activate: true }, { ...ctx, commandId: `job:${jobId}:memreader:${unit.label}`, automation }));
            memoryIds.push(memoryId);
          });
        let windows = 0;
        let facts = 0;
        let rejects: ExtractionRejects | undefined;
        let metered: ReturnType<typeof meter> | undefined;
        const descriptions = new Map<string, string>();
        if (payload.mode === "fast") {
          for (const [i, window] of turnWindows(turns, settings.window).entries()) {
            yield* store(windowUnit(window, i, payload.userId));
            windows++;
          }
        } else {
          if (chatModel === undefined) return yield* Effect.fail(new ChatModelNotConfigured("fine extraction of messages"));
          metered = meter(chatModel);
          const prompt = loadPrompt("memreader.extract-facts");
          const unknownTurnIds: string[] = [];
          const invalidDates: string[] = [];
          let unsourcedMemories = 0;
          const said = turns.filter((t) => t.role !== "system");
          for (const [k, chunk] of sessionChunks(said, turnsPerExtraction).entries()) {
            const answer = yield* Effect.tryPromise({ try: () => askForMemories(metered!.port, prompt, chunk, signal), catch: describeError });
            const checked = checkExtraction(answer.value, chunk);
            unknownTurnIds.push(...checked.rejects.unknownTurnIds);
            invalidDates.push(...checked.rejects.invalidDates);
            unsourcedMemories += checked.rejects.unsourcedMemories;
            const automation: AutomationProvenance = { component, model: answer.model, prompt: prompt.ref, jobId };
            for (const [i, memory] of checked.memories.entries()) yield* store(extractedUnit(memory, `fact:${k}:${i}`, payload.userId), automation);
            facts += checked.memories.length;
          }
          rejects = { unknownTurnIds, unsourcedMemories, invalidDates };
          // Atomic facts are what merge decisions are for (duplicates, updates, contradictions of what the cube knew); windows and raw turns are not.
          if (memoryIds.length > 0) yield* enqueueDecisions(bus, cubeId, [...memoryIds], ctx);
          // Implicit preferences are inferred afterwards, asynchronously, from what the user said (src/preferences/).
          if (payload.userId !== undefined && memoryIds.length > 0) yield* enqueuePreferenceInference(bus, cubeId, payload.userId, ctx, jobId);
          if (settings.vision) {
            const describe = loadPrompt("memreader.describe-image");
            for (const image of turns.flatMap((t) => t.images)) {
              const answer = yield* Effect.tryPromise({
                try: () =>
                  metered!.port.complete({
                    messages: [{ role: "user", content: [{ type: "text", text: describe.render({ caption: image.caption ? `Its caption: ${image.caption}` : "" }) }, { type: "image_url", imageUrl: image.imageRef }] }],
                    temperature: 0,
                    signal,
                  }),
                catch: describeError,
              });
              if (answer.text.trim() !== "") descriptions.set(image.imageRef, answer.text.trim());
            }
          }
        }
        let tools = 0;
        let images = 0;
        for (const turn of turns) {
          const tool = toolUnit(turn, payload.userId);
          if (tool !== undefined) {
            yield* store(tool);
            tools++;
          }
          for (const image of imageUnits(turn, (ref) => descriptions.get(ref), payload.userId)) {
            const described = descriptions.has(image.input.metadata?.imageRef as string);
            yield* store(image, described && metered !== undefined ? { component, model: metered.report().model, prompt: loadPrompt("memreader.describe-image").ref, jobId } : ruleBased);
            images++;
          }
        }
        const report: ReadingReport = {
          mode: payload.mode,
          turns: turns.length,
          memoryIds,
          windows,
          facts,
          tools,
          images,
          ...(rejects !== undefined ? { rejects } : {}),
          ...(metered !== undefined ? { usage: metered.report() } : {}),
        };
        return { report, created };
      });

    const addMessages: MemReaderApi["addMessages"] = (cubeId, request, ctx) =>
      Effect.gen(function* () {
        const problem = checkAddMessages(request);
        if (problem !== undefined) return yield* Effect.fail(invalidRequest(problem.field, problem.problem));
        const mode = request.mode ?? "fast";
        // Refused before anything is stored: a fine read with no model would only ever fail.
        if (mode === "fine" && chatModel === undefined) return yield* Effect.fail(new ChatModelNotConfigured("fine extraction of messages (mode \"fine\")"));
        // With an idempotency key, a retried call addresses the same raw units (and so the same job).
        const key = ctx.commandId;
        const rawMemoryIds = request.messages.map((_, i) => (key ? nameBasedId(`${ctx.tenantId}:${cubeId}:${key}:raw:${i}`) : ids.newId()));
        const correlationId = ctx.correlationId ?? ids.newId();
        // The raw turns first, each durable before any job refers to it: an extraction that fails loses nothing.
        for (const [i, message] of request.messages.entries()) {
          if (i > 0) yield* yieldToEventLoop;
          yield* memories.create(
            { ...rawTurnUnit(message, request, cubeId, rawMemoryIds[i]!, i), activate: true },
            { ...ctx, correlationId, automation: { component: `memreader.${mode}` }, ...(key ? { commandId: `${key}:raw:${i}` } : {}) },
          );
        }
        const payload: ReaderPayload = { ...requesterOf({ ...ctx, correlationId }, correlationId), rawMemoryIds, mode, ...(request.userId !== undefined ? { userId: request.userId } : {}) };
        if (request.async === false) {
          const jobId = `sync-${key ?? correlationId}`;
          const { report, created } = yield* read(cubeId, payload, jobId, { ...ctx, correlationId }, new AbortController().signal);
          return { mode, async: false as const, rawMemoryIds, memories: created, report };
        }
        const { job } = yield* bus.enqueue({ kind: memReaderJobKind, key: cubeId, cubeId, payload, idempotencyKey: `memreader:${rawMemoryIds[0]}` });
        return { mode, async: true as const, rawMemoryIds, job };
      });

    const extractHandler: JobHandler = (job, context) =>
      run(
        Effect.gen(function* () {
          const payload = parseReaderPayload(job);
          if (job.cubeId === undefined) return yield* Effect.fail(new Error(`job ${job.jobId} (${memReaderJobKind}) names no cube`));
          const ctx = actingFor(payload, job, "system:memreader", "conversation reading");
          const { report } = yield* read(job.cubeId, payload, job.jobId, ctx, context.signal);
          return report;
        }),
      );

    return { addMessages, handlers: { [memReaderJobKind]: extractHandler } };
  }),
);

/** The reader with its settings: the environment's, overridden by the ledger's options. */
export const layerMemReaderWith = (settings: Partial<MemReaderSettings> = {}) => {
  const fromEnv = memReaderSettingsFromEnv();
  return Layer.provide(layerMemReader, Layer.succeed(MemReaderConfig, { ...fromEnv, ...settings, window: { ...fromEnv.window, ...settings.window } }));
};

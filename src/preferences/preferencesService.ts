import { Context, Effect, Layer, Option } from "effect";
import type { MemoryView } from "../../projections/memoryView.js";
import { ChatModel } from "../chatModel/chatModelPort.js";
import { ChatModelNotConfigured } from "../chatModel/chatModelErrors.js";
import { loadPrompt } from "../chatModel/promptLibrary.js";
import type { CommandContext } from "../command/commandContext.js";
import { CubeService, type CubeError } from "../cube/cubeService.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JobRecord, type JsonValue } from "../jobs/jobBusPort.js";
import { MemoryService } from "../memory/memoryService.js";
import { actingFor, parseRequester, type Requester } from "../scheduler/requester.js";
import { enqueuePreferenceInference, inferJobKind } from "./enqueueInference.js";
import { runForJob } from "../scheduler/runForJob.js";
import { checkInference, inferenceAnswerSchema, inferPromptId, type InferenceAnswer } from "./preferenceInference.js";
import { isImplicitPreference, preferenceKeyField, preferenceKindField, profileOf, type UserProfile } from "./userProfile.js";

export { inferJobKind };
export const preferencesComponent = "preferences";
/** The user's most recent units the model reads: enough to see a habit, few enough for one prompt. */
const recentUnits = 60;
const maxUnitChars = 500;

export interface InferenceReport {
  readonly cubeId: string;
  readonly userId: string;
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
  readonly dropped: readonly { readonly key: string; readonly why: string }[];
  readonly model?: string;
  readonly prompt: string;
}

export interface PreferencesServiceApi {
  /** A durable `preferences.infer` job for the user's units of the cube; 409 ChatModelNotConfigured without a model. */
  enqueueInference(cubeId: string, userId: string, ctx: CommandContext): Effect.Effect<JobRecord, InvalidJob | JobBusUnavailable | ChatModelNotConfigured>;
  profile(cubeId: string, userId: string, tenantId?: string): Effect.Effect<UserProfile, CubeError>;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class Preferences extends Context.Tag("memledger/Preferences")<Preferences, PreferencesServiceApi>() {}

type InferPayload = Requester & { readonly cubeId: string; readonly userId: string };

function parsePayload(job: JobRecord): InferPayload {
  const { fields, ...requester } = parseRequester(job.payload, job);
  if (typeof fields.cubeId !== "string" || typeof fields.userId !== "string" || fields.userId === "") {
    throw new Error(`job ${job.jobId} has a malformed ${inferJobKind} payload: it needs cubeId and userId`);
  }
  return { ...requester, cubeId: fields.cubeId, userId: fields.userId };
}

const sameEvidence = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((id) => b.includes(id));

export const layerPreferences = Layer.effect(
  Preferences,
  Effect.gen(function* () {
    const cubes = yield* CubeService;
    const memories = yield* MemoryService;
    const bus = yield* JobBus;
    const ids = yield* IdGenerator;
    const chat = Option.getOrUndefined(yield* Effect.serviceOption(ChatModel));
    const run = runForJob(yield* Effect.runtime<never>());

    /** Asks the model about the user's recent units and writes what it inferred: a new unit per new key, an edit per known key that changed. */
    const infer = (p: InferPayload, job: JobRecord, signal: AbortSignal) =>
      Effect.gen(function* () {
        const prompt = loadPrompt(inferPromptId);
        if (chat === undefined) return yield* Effect.fail(new ChatModelNotConfigured("implicit preference inference"));
        const units = (yield* cubes.listMemories(p.cubeId, { statuses: ["activated"] }, p.tenantId)).filter((v) => v.content !== null && v.content.userId === p.userId);
        const known = new Map<string, MemoryView>();
        for (const v of units) if (isImplicitPreference(v)) known.set(String(v.content?.metadata[preferenceKeyField]), v);
        // The evidence is what the user did and said, not what was inferred from it before.
        const evidence = units.filter((v) => !isImplicitPreference(v)).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, recentUnits);
        const report = { cubeId: p.cubeId, userId: p.userId, created: [] as string[], updated: [] as string[], unchanged: [] as string[], prompt: prompt.ref };
        if (evidence.length === 0) return { ...report, dropped: [] } satisfies InferenceReport;
        const lines = evidence.map((v) => JSON.stringify({ id: v.memoryId, type: v.attributes.memoryType, text: (v.content?.text ?? "").slice(0, maxUnitChars) })).join("\n");
        const answer = yield* Effect.tryPromise({
          try: () =>
            chat.completeStructured<InferenceAnswer>({
              messages: [
                { role: "system", content: prompt.render() },
                { role: "user", content: `User: ${JSON.stringify(p.userId)}\n\nMemories (one JSON object per line):\n${lines}` },
              ],
              schemaName: "implicit_preferences",
              schema: inferenceAnswerSchema,
              temperature: 0,
              signal,
            }),
          catch: (cause) => new Error(`the chat model could not infer preferences of user ${p.userId}: ${cause instanceof Error ? cause.message : String(cause)}`),
        });
        const checked = checkInference(answer.value, new Set(evidence.map((v) => v.memoryId)));
        const ctx: CommandContext = {
          ...actingFor(p, job, "system:preferences", `implicit preference inference for user ${p.userId}`),
          automation: { component: preferencesComponent, model: answer.model, prompt: prompt.ref, jobId: job.jobId },
        };
        for (const pref of checked.preferences) {
          const sources = pref.evidenceIds.map((ref) => ({ kind: "other" as const, ref, note: "evidence unit" }));
          const metadata = { [preferenceKindField]: "implicit", [preferenceKeyField]: pref.key };
          const existing = known.get(pref.key);
          // The command ids make a rerun of the job (a crash halfway) write nothing twice.
          if (existing === undefined) {
            const view = yield* memories.create(
              { cubeId: p.cubeId, memoryId: nameBasedId(`preference:${job.jobId}:${pref.key}`), text: pref.text, sources, userId: p.userId, metadata, memoryType: "preference", confidence: pref.confidence },
              { ...ctx, commandId: `preferences:${job.jobId}:${pref.key}:create` },
            );
            report.created.push(view.memoryId);
          } else if (existing.content?.text === pref.text && existing.attributes.confidence === pref.confidence && sameEvidence(existing.content.sources.map((s) => s.ref), pref.evidenceIds)) {
            report.unchanged.push(existing.memoryId);
          } else {
            yield* memories.edit(existing.memoryId, { content: { text: pref.text, sources, metadata: { ...existing.content?.metadata, ...metadata } }, attributes: { confidence: pref.confidence } }, { ...ctx, commandId: `preferences:${job.jobId}:${pref.key}:edit` });
            report.updated.push(existing.memoryId);
          }
        }
        return { ...report, dropped: checked.dropped, model: answer.model } satisfies InferenceReport;
      });

    const inferHandler: JobHandler = (job, context) => run(Effect.map(infer(parsePayload(job), job, context.signal), (report) => report as unknown as JsonValue));

    const api: PreferencesServiceApi = {
      enqueueInference: (cubeId, userId, ctx) =>
        Effect.gen(function* () {
          if (chat === undefined) return yield* Effect.fail(new ChatModelNotConfigured("implicit preference inference"));
          const { job } = yield* enqueuePreferenceInference(bus, cubeId, userId, ctx, ctx.commandId ?? ids.newId());
          return job;
        }),
      profile: (cubeId, userId, tenantId) => Effect.map(cubes.listMemories(cubeId, { statuses: ["activated"] }, tenantId), (units) => profileOf(cubeId, userId, units)),
      handlers: { [inferJobKind]: inferHandler },
    };
    return api;
  }),
);

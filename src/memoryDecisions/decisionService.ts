import { Context, Effect, Layer, Option } from "effect";
import { decisionEventCatalog, decisionModes, decisionStreamId, type DecidedBy, type DecisionChange, type DecisionEvent, type DecisionMode, type DecisionRecord, type DecisionStep } from "../../domain/memoryDecisions/decisionEvents.js";
import { foldDecisionLog, type DecisionLog, type DecisionView } from "../../domain/memoryDecisions/decisionLog.js";
import { decideByRule, figuresOf, type Candidate } from "../../domain/memoryDecisions/decisionRules.js";
import { validUntilField } from "../../domain/memoryDecisions/factValidity.js";
import { planDecision, unitsChanged } from "../../domain/memoryDecisions/planDecision.js";
import type { Visibility } from "../../domain/memory/memoryContent.js";
import type { MemoryView } from "../../projections/memoryView.js";
import { ChatModel } from "../chatModel/chatModelPort.js";
import { cubeNotFound, invalidRequest, type CubeNotFound, type InvalidRequest } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import { eventMetadata } from "../command/eventMetadata.js";
import { isSealed, seal, unseal } from "../crypto/contentCipher.js";
import { KeyRingService } from "../crypto/keyRingService.js";
import { Clock } from "../clock/clock.js";
import { CubeService } from "../cube/cubeService.js";
import { EventStore, type RecordedEvent } from "../eventStore/eventStorePort.js";
import type { ConcurrencyConflict, EventStoreUnavailable, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import { IdGenerator } from "../ids/idGenerator.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { InvalidJob, JobBusUnavailable } from "../jobs/jobBusErrors.js";
import { JobBus, type JobHandler, type JobRecord, type JsonValue } from "../jobs/jobBusPort.js";
import { MemoryService, type MemoryWriteError } from "../memory/memoryService.js";
import { Retrieval } from "../retrieval/retrievalService.js";
import { actingFor, parseRequester, type Requester } from "../scheduler/requester.js";
import { runForJob } from "../scheduler/runForJob.js";
import { decisionNotFound, decisionNotPending, type DecisionNotFound, type DecisionNotPending } from "./decisionErrors.js";
import { askModel, checkAnswer, type ModelAnswer } from "./modelDecision.js";
import { decideJobKind, enqueueDecisions } from "./enqueueDecisions.js";

export { decideJobKind };

/** Neighbours a decision looks at: enough to find the duplicate, few enough for one prompt. */
const candidateCount = 5;
/** The search query is the unit's text, cut to what a query may hold. */
const maxQueryChars = 2_000;

export type DecisionError =
  | DecisionNotFound
  | DecisionNotPending
  | CubeNotFound
  | InvalidRequest
  | MemoryWriteError
  | ConcurrencyConflict
  | IdempotencyConflict
  | EventStoreUnavailable
  | InvalidJob
  | JobBusUnavailable;

export interface DecisionModeView {
  readonly cubeId: string;
  readonly mode: DecisionMode;
}

export interface MemoryDecisionsApi {
  /** A durable `memory.decide` job for units just activated by ingestion (one per batch; the same batch enqueues once). */
  enqueue(cubeId: string, memoryIds: readonly string[], ctx: CommandContext): Effect.Effect<JobRecord, InvalidJob | JobBusUnavailable>;
  /** `tenantId` undefined (trusted code): the cube's own tenant. */
  list(cubeId: string, tenantId?: string): Effect.Effect<readonly DecisionView[], DecisionError>;
  get(decisionId: string, tenantId?: string): Effect.Effect<DecisionView, DecisionError>;
  revert(decisionId: string, ctx: CommandContext): Effect.Effect<DecisionView, DecisionError>;
  accept(decisionId: string, ctx: CommandContext): Effect.Effect<DecisionView, DecisionError>;
  reject(decisionId: string, ctx: CommandContext): Effect.Effect<DecisionView, DecisionError>;
  getMode(cubeId: string, tenantId?: string): Effect.Effect<DecisionModeView, DecisionError>;
  setMode(cubeId: string, mode: DecisionMode, ctx: CommandContext): Effect.Effect<DecisionModeView, DecisionError>;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

export class MemoryDecisions extends Context.Tag("memledger/MemoryDecisions")<MemoryDecisions, MemoryDecisionsApi>() {}

type DecidePayload = Requester & { readonly cubeId: string; readonly memoryIds: readonly string[] };

function parsePayload(job: JobRecord): DecidePayload {
  const { fields, ...requester } = parseRequester(job.payload, job);
  const ids = fields.memoryIds;
  if (typeof fields.cubeId !== "string" || !Array.isArray(ids) || !ids.every((id): id is string => typeof id === "string" && id !== "")) {
    throw new Error(`job ${job.jobId} has a malformed ${decideJobKind} payload: it needs cubeId and memoryIds`);
  }
  return { ...requester, cubeId: fields.cubeId, memoryIds: ids };
}

const visibilityOrder: readonly Visibility[] = ["private", "session", "cube", "tenant", "public"];
/** A combined unit is as hidden as the most hidden of its parts. */
const narrowest = (views: readonly MemoryView[]): Visibility => visibilityOrder[Math.min(...views.map((v) => visibilityOrder.indexOf(v.attributes.visibility)))] ?? "cube";

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const layerMemoryDecisions = Layer.effect(
  MemoryDecisions,
  Effect.gen(function* () {
    const store = yield* EventStore;
    const cubes = yield* CubeService;
    const memories = yield* MemoryService;
    const retrieval = yield* Retrieval;
    const bus = yield* JobBus;
    const clock = yield* Clock;
    const ids = yield* IdGenerator;
    const keyRing = yield* KeyRingService;
    const chat = Option.getOrUndefined(yield* Effect.serviceOption(ChatModel));
    const run = runForJob(yield* Effect.runtime<never>());

    /** A model's reason is its own words about a person's facts: sealed under the unit's subject (see `append`), read back here, "[erased]" once the key is gone. */
    const openReasons = (events: readonly RecordedEvent[]) =>
      Effect.forEach(events, (e) => {
        const data = e.data as { readonly reason?: unknown };
        if (data === null || typeof data !== "object" || !isSealed(data.reason)) return Effect.succeed(e);
        const sealed = data.reason;
        // A key store that cannot answer is a defect here, as it is for every sealed read.
        return Effect.map(Effect.orDie(keyRing.material(sealed.keyId)), (material) => ({ ...e, data: { ...data, reason: material === null ? "[erased]" : unseal(sealed, material) } }) as RecordedEvent);
      });
    const readStream = (cubeId: string) =>
      store.readStream(decisionStreamId(cubeId)).pipe(
        Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])),
        Effect.flatMap(openReasons),
      );
    const logOf = (events: readonly RecordedEvent[]): DecisionLog =>
      foldDecisionLog(events.map((e) => ({ event: { type: e.type, data: e.data } as DecisionEvent, recordedAt: e.metadata.recordedAt, actor: e.metadata.actor })));

    /**
     * `sealReasonFor`: the data subject of the unit decided on. A model's reason is free text about that person's
     * facts, so it is sealed under a key of theirs (named in the metadata, where subject erasure finds it); rule
     * and fallback reasons are fixed sentences and stay in clear.
     */
    const append = (cubeId: string, event: DecisionEvent, ctx: CommandContext, eventId?: string, sealReasonFor?: string) =>
      Effect.gen(function* () {
        const data = event.data as { readonly reason?: unknown };
        const key = sealReasonFor !== undefined && typeof data.reason === "string" ? yield* keyRing.create(sealReasonFor, ids.newId()) : undefined;
        const stored = key !== undefined ? { ...data, reason: seal(data.reason, key.keyId, key.material) } : event.data;
        const scope = key !== undefined ? { cubeId, subjectId: sealReasonFor!, keyId: key.keyId } : { cubeId };
        return yield* store.append(
          decisionStreamId(cubeId),
          [{ eventId: eventId ?? ids.newId(), type: event.type, schemaVersion: decisionEventCatalog[event.type].schemaVersion, data: stored, metadata: eventMetadata(ctx, clock, ids, scope) }],
          "any",
        );
      });

    /** The cube, if it is the caller's tenant's: another tenant's cube answers as a missing one. */
    const ownCube = (cubeId: string, tenantId: string | undefined) =>
      Effect.gen(function* () {
        const owner = yield* cubes.tenantOf(cubeId);
        if (owner === undefined || (tenantId !== undefined && owner !== tenantId)) return yield* Effect.fail(cubeNotFound(cubeId));
        return owner;
      });

    /** Decision ids are unique per tenant; the id names no cube, so the cube comes from the decision's index event. */
    const cubeOfDecision = (decisionId: string, tenantId: string | undefined) =>
      Effect.gen(function* () {
        const index = yield* store.readStream(decisionIndexStream(decisionId)).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[])));
        const cubeId = (index[0]?.data as { cubeId?: string } | undefined)?.cubeId;
        if (cubeId === undefined) return yield* Effect.fail(decisionNotFound(decisionId));
        yield* ownCube(cubeId, tenantId).pipe(Effect.mapError(() => decisionNotFound(decisionId)));
        return cubeId;
      });

    const viewOf = (cubeId: string, decisionId: string) =>
      Effect.gen(function* () {
        const found = logOf(yield* readStream(cubeId)).decisions.find((d) => d.decisionId === decisionId);
        return found ?? (yield* Effect.fail(decisionNotFound(decisionId)));
      });

    /** Runs one step; its command id makes a rerun (a crashed job, a retried accept) change nothing twice. */
    const applyStep = (step: DecisionStep, ctx: CommandContext, commandId: string): Effect.Effect<unknown, MemoryWriteError> =>
      Effect.gen(function* () {
        const c = { ...ctx, commandId };
        switch (step.op) {
          case "merge":
            return yield* memories.merge(step.memoryId, step.successorId, c);
          case "activate":
            return yield* memories.activate(step.memoryId, c);
          case "takeText": {
            const source = yield* memories.get(step.fromMemoryId);
            if (source.content === null) return yield* Effect.fail(invalidRequest("memoryId", `${step.fromMemoryId} was erased; its text cannot update ${step.memoryId}`));
            return yield* memories.edit(step.memoryId, { content: { text: source.content.text } }, c);
          }
          case "closeValidity": {
            const unit = yield* memories.get(step.memoryId);
            return yield* memories.edit(step.memoryId, { content: { metadata: { ...(unit.content?.metadata ?? {}), [validUntilField]: step.validUntil } } }, c);
          }
        }
      });

    /** The revisions the plan's units have now (the successor, written by the decision itself, has none before it). */
    const revisionsBefore = (steps: readonly DecisionStep[], successorId: string | undefined) =>
      Effect.forEach(unitsChanged(steps), (memoryId) =>
        memoryId === successorId ? Effect.succeed<DecisionChange>({ memoryId, beforeRevision: -1 }) : Effect.map(memories.get(memoryId), (v): DecisionChange => ({ memoryId, beforeRevision: v.revision })),
      );

    const applyAll = (record: DecisionRecord, ctx: CommandContext, phase: string) =>
      Effect.forEach(record.steps, (step, i) => applyStep(step, ctx, `decision:${record.decisionId}:${phase}:${i}`), { discard: true });

    /** The unit's neighbours in its cube, by the search the cube already has (hybrid with an embedder, else BM25). */
    const neighbours = (unit: MemoryView, excluded: ReadonlySet<string>) =>
      Effect.gen(function* () {
        const text = unit.content?.text ?? "";
        const response = yield* retrieval.search({ query: text.slice(0, maxQueryChars), cubeIds: [unit.cubeId], topK: candidateCount + excluded.size + 1, graphHops: 0, filters: { statuses: ["activated"] } });
        const candidates: Candidate[] = [];
        for (const hit of response.results) {
          const m = hit.memory;
          if (m.memoryId === unit.memoryId || excluded.has(m.memoryId) || m.status !== "activated" || m.content === null) continue;
          // Only units of the same data subject and visibility: a merge must not move one person's fact into another's unit
          // (an erasure of either would then miss it), nor a private text into a unit the whole cube reads.
          if (m.subjectId !== unit.subjectId || m.attributes.visibility !== unit.attributes.visibility) continue;
          // A session unit is seen by its session: another session's text must not reach it through a merge or an update.
          if (unit.attributes.visibility === "session" && m.content.sessionId !== unit.content?.sessionId) continue;
          candidates.push({ memoryId: m.memoryId, text: m.content.text, score: hit.score, ...(hit.why.vector ? { cosine: hit.why.vector.similarity } : {}) });
        }
        return candidates.slice(0, candidateCount);
      });

    /** Rules first; the model for the rest when there is one; otherwise ADD. */
    const judge = (unit: MemoryView, candidates: readonly Candidate[], signal: AbortSignal) =>
      Effect.gen(function* () {
        const text = unit.content?.text ?? "";
        if (candidates.length === 0) return { decision: "ADD" as const, targetIds: [], contradicts: [], reason: "no related unit in the cube", decidedBy: { kind: "fallback", why: "no-candidates" } as DecidedBy };
        const rule = decideByRule(text, candidates);
        if (rule !== undefined) return { decision: rule.decision, targetIds: [rule.targetId], contradicts: [], reason: rule.reason, decidedBy: { kind: "rule", rule: rule.rule } as DecidedBy };
        if (chat === undefined) return { decision: "ADD" as const, targetIds: [], contradicts: [], reason: "no rule applies and no chat model is configured", decidedBy: { kind: "fallback", why: "no-model" } as DecidedBy };
        // A model that cannot be reached fails the job, which retries with backoff: the unit is kept meanwhile, undecided.
        const asked = yield* Effect.tryPromise({ try: () => askModel(chat, text, candidates, signal), catch: (cause) => new Error(`the chat model could not decide on memory ${unit.memoryId}: ${describe(cause)}`) });
        const checked = checkAnswer(asked.answer, candidates);
        const decidedBy: DecidedBy = { kind: "model", model: asked.model, prompt: asked.prompt };
        if (!checked.ok) return { decision: "ADD" as const, targetIds: [], contradicts: [], reason: `the model's answer was not used (${checked.why}); both units are kept`, decidedBy };
        const a: ModelAnswer = checked.answer;
        return { decision: a.decision, targetIds: a.decision === "ADD" ? [] : a.targetIds, contradicts: a.contradicts, reason: a.reason.slice(0, 500), decidedBy, mergedText: a.mergedText };
      });

    /** MERGE: the combined text goes into a new generated unit (sealed like any content); the decision only names it. */
    const writeSuccessor = (decisionId: string, unit: MemoryView, targets: readonly MemoryView[], text: string, ctx: CommandContext) =>
      Effect.gen(function* () {
        const all = [unit, ...targets];
        const content = unit.content!;
        const view = yield* memories.create(
          {
            cubeId: unit.cubeId,
            memoryId: nameBasedId(`decision-successor:${decisionId}`),
            text,
            ...(content.key !== undefined ? { key: content.key } : {}),
            tags: [...new Set(all.flatMap((v) => v.content?.tags ?? []))],
            sources: all.flatMap((v) => v.content?.sources ?? []),
            ...(content.userId !== undefined ? { userId: content.userId } : {}),
            ...(content.agentId !== undefined ? { agentId: content.agentId } : {}),
            ...(content.sessionId !== undefined ? { sessionId: content.sessionId } : {}),
            metadata: content.metadata,
            memoryType: unit.attributes.memoryType,
            confidence: Math.max(...all.map((v) => v.attributes.confidence)),
            visibility: narrowest(all),
            ...(unit.attributes.eventTime !== undefined ? { eventTime: unit.attributes.eventTime } : {}),
            ...(unit.subjectId !== undefined ? { subjectId: unit.subjectId } : {}),
            activate: false,
          },
          { ...ctx, commandId: `decision:${decisionId}:successor` },
        );
        return view.memoryId;
      });

    /** Decides on one unit, records the decision, and (auto mode) runs it. A recorded decision is only re-run, never re-decided. */
    const decideOne = (p: DecidePayload, job: JobRecord, memoryId: string, excluded: ReadonlySet<string>, mode: DecisionMode, signal: AbortSignal) =>
      Effect.gen(function* () {
        const decisionId = nameBasedId(`decision:${job.jobId}:${memoryId}`);
        const base = actingFor(p, job, "system:dedupe", `merge decision on memory ${memoryId}`);
        const already = logOf(yield* readStream(p.cubeId)).decisions.find((d) => d.decisionId === decisionId);
        if (already !== undefined) {
          // Recorded before a crash: make sure its commands ran (each once), change nothing else.
          if (already.status === "applied" && already.settledBy === undefined) yield* applyAll(already, { ...base, automation: automationOf(already.decidedBy, job.jobId) }, "apply");
          return { memoryId, decisionId, decision: already.decision, rerun: true };
        }
        const unit = yield* memories.get(memoryId);
        // Merged, archived or erased since it was added (by an earlier decision of this batch, or by a person): nothing to decide.
        if (unit.status !== "activated" || unit.content === null) return { memoryId, skipped: unit.status };
        const candidates = yield* neighbours(unit, excluded);
        const verdict = yield* judge(unit, candidates, signal);
        const ctx: CommandContext = { ...base, automation: automationOf(verdict.decidedBy, job.jobId) };
        const targets = yield* Effect.forEach(verdict.targetIds, (id) => memories.get(id));
        const successorId = verdict.decision === "MERGE" ? yield* writeSuccessor(decisionId, unit, targets, verdict.mergedText ?? "", ctx) : undefined;
        const validUntil = verdict.contradicts.length > 0 ? (unit.attributes.eventTime ?? clock.now().toISOString()) : undefined;
        const steps = planDecision({ decision: verdict.decision, newMemoryId: memoryId, targetIds: verdict.targetIds, contradicts: verdict.contradicts, ...(successorId !== undefined ? { successorId } : {}), ...(validUntil !== undefined ? { validUntil } : {}) });
        const record: DecisionRecord = {
          decisionId,
          cubeId: p.cubeId,
          memoryId,
          decision: verdict.decision,
          targetIds: verdict.targetIds,
          ...(successorId !== undefined ? { successorId } : {}),
          contradicts: verdict.contradicts,
          ...(validUntil !== undefined ? { validUntil } : {}),
          reason: verdict.reason,
          decidedBy: verdict.decidedBy,
          candidates: figuresOf(unit.content.text, candidates),
          jobId: job.jobId,
          steps,
        };
        yield* indexDecision(decisionId, p.cubeId, ctx);
        if (mode === "propose" && steps.length > 0) {
          yield* append(p.cubeId, { type: "MemoryDecisionProposed", data: record }, ctx, decisionId, sealSubjectOf(verdict.decidedBy, unit));
          return { memoryId, decisionId, decision: record.decision, proposed: true };
        }
        // Recorded first, with the revisions before it, so a revert knows where to return even if the job dies halfway.
        const changes = yield* revisionsBefore(steps, successorId);
        yield* append(p.cubeId, { type: "MemoryDecisionMade", data: { ...record, changes } }, ctx, decisionId, sealSubjectOf(verdict.decidedBy, unit));
        yield* applyAll(record, ctx, "apply");
        return { memoryId, decisionId, decision: record.decision };
      });

    /** Whose key seals a decision's reason: the unit's subject when a model wrote the reason (units default to their cube's subject). */
    const sealSubjectOf = (decidedBy: DecidedBy, unit: { readonly cubeId: string; readonly subjectId?: string }) =>
      decidedBy.kind === "model" ? (unit.subjectId ?? `cube:${unit.cubeId}`) : undefined;

    /** Finding a decision by id alone: one tiny stream per decision names its cube. */
    const indexDecision = (decisionId: string, cubeId: string, ctx: CommandContext) =>
      store.append(
        decisionIndexStream(decisionId),
        [{ eventId: nameBasedId(`decision-index:${decisionId}`), type: "DecisionIndexed", schemaVersion: 1, data: { decisionId, cubeId }, metadata: eventMetadata(ctx, clock, ids, { cubeId }) }],
        "any",
      );

    const decideHandler: JobHandler = (job, context) =>
      run(
        Effect.gen(function* () {
          const p = parsePayload(job);
          const { mode } = logOf(yield* readStream(p.cubeId));
          if (mode === "off") return { cubeId: p.cubeId, skipped: "decisions are off for this cube" } as JsonValue;
          const outcomes: unknown[] = [];
          for (const [i, memoryId] of p.memoryIds.entries()) {
            // Within a batch a unit is compared with what came before it, never after: the first of two equal units stays.
            const later = new Set(p.memoryIds.slice(i + 1));
            outcomes.push(yield* decideOne(p, job, memoryId, later, mode, context.signal));
          }
          return JSON.parse(JSON.stringify({ cubeId: p.cubeId, outcomes })) as JsonValue;
        }),
      );

    const api: MemoryDecisionsApi = {
      enqueue: (cubeId, memoryIds, ctx) => Effect.map(enqueueDecisions(bus, cubeId, memoryIds, ctx), (r) => r.job),
      list: (cubeId, tenantId) =>
        Effect.gen(function* () {
          yield* ownCube(cubeId, tenantId);
          return logOf(yield* readStream(cubeId)).decisions;
        }),
      get: (decisionId, tenantId) => Effect.flatMap(cubeOfDecision(decisionId, tenantId), (cubeId) => viewOf(cubeId, decisionId)),
      revert: (decisionId, ctx) =>
        Effect.gen(function* () {
          const cubeId = yield* cubeOfDecision(decisionId, ctx.tenantId);
          const decision = yield* viewOf(cubeId, decisionId);
          if (decision.status !== "applied") return yield* Effect.fail(decisionNotPending(decisionId, decision.status, "an applied decision can be reverted"));
          const c: CommandContext = { ...ctx, reason: ctx.reason ?? `revert of merge decision ${decisionId}` };
          const reverted: { memoryId: string; toRevision?: number; archived?: true }[] = [];
          // Latest change first: a successor is archived after its parts are back.
          for (const change of [...decision.changes].reverse()) {
            const commandId = `decision:${decisionId}:revert:${change.memoryId}`;
            if (change.beforeRevision < 0) {
              yield* memories.archive(change.memoryId, { ...c, commandId });
              reverted.push({ memoryId: change.memoryId, archived: true });
            } else {
              const now = yield* memories.get(change.memoryId);
              if (now.revision > change.beforeRevision) yield* memories.revert(change.memoryId, change.beforeRevision, { ...c, commandId });
              reverted.push({ memoryId: change.memoryId, toRevision: change.beforeRevision });
            }
          }
          yield* append(cubeId, { type: "MemoryDecisionReverted", data: { decisionId, reverted } }, c);
          return yield* viewOf(cubeId, decisionId);
        }),
      accept: (decisionId, ctx) =>
        Effect.gen(function* () {
          const cubeId = yield* cubeOfDecision(decisionId, ctx.tenantId);
          const decision = yield* viewOf(cubeId, decisionId);
          if (decision.status !== "proposed") return yield* Effect.fail(decisionNotPending(decisionId, decision.status, "a proposed decision can be accepted"));
          const changes = yield* revisionsBefore(decision.steps, decision.successorId);
          const c: CommandContext = { ...ctx, reason: ctx.reason ?? `accepted merge decision ${decisionId}`, automation: { ...automationOf(decision.decidedBy, decision.jobId) } };
          yield* applyAll(decision, c, "accept");
          yield* append(cubeId, { type: "MemoryDecisionAccepted", data: { decisionId, changes } }, c);
          return yield* viewOf(cubeId, decisionId);
        }),
      reject: (decisionId, ctx) =>
        Effect.gen(function* () {
          const cubeId = yield* cubeOfDecision(decisionId, ctx.tenantId);
          const decision = yield* viewOf(cubeId, decisionId);
          if (decision.status !== "proposed") return yield* Effect.fail(decisionNotPending(decisionId, decision.status, "a proposed decision can be rejected"));
          // The combined unit a proposed MERGE wrote was never activated: it is archived, not left waiting.
          if (decision.successorId !== undefined) yield* memories.archive(decision.successorId, { ...ctx, commandId: `decision:${decisionId}:reject` });
          yield* append(cubeId, { type: "MemoryDecisionRejected", data: { decisionId } }, ctx);
          return yield* viewOf(cubeId, decisionId);
        }),
      getMode: (cubeId, tenantId) =>
        Effect.gen(function* () {
          yield* ownCube(cubeId, tenantId);
          return { cubeId, mode: logOf(yield* readStream(cubeId)).mode };
        }),
      setMode: (cubeId, mode, ctx) =>
        Effect.gen(function* () {
          yield* ownCube(cubeId, ctx.tenantId);
          if (!decisionModes.includes(mode)) return yield* Effect.fail(invalidRequest("mode", `must be one of ${decisionModes.join(", ")}`));
          const current = logOf(yield* readStream(cubeId)).mode;
          if (current !== mode) yield* append(cubeId, { type: "DecisionModeSet", data: { cubeId, mode } }, ctx);
          return { cubeId, mode };
        }),
      handlers: { [decideJobKind]: decideHandler },
    };
    return api;
  }),
);

const decisionIndexStream = (decisionId: string) => `decision-${decisionId}`;

function automationOf(decidedBy: DecidedBy, jobId: string) {
  return { component: "dedupe", jobId, ...(decidedBy.kind === "model" ? { model: decidedBy.model, prompt: decidedBy.prompt } : {}) };
}

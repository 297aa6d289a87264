import { Cause, Context, Effect, Exit, Layer, ManagedRuntime, Option } from "effect";
import { join } from "node:path";
import type { FreezeReason } from "../../domain/memory/memoryEvents.js";
import type { AsOf } from "../../projections/asOf.js";
import type { HistoryEntry } from "../../projections/memoryHistory.js";
import type { MemoryDiff } from "../../projections/memoryDiff.js";
import type { MemoryView } from "../../projections/memoryView.js";
import { Clock, layerClock, layerSystemClock, type ClockPort } from "../clock/clock.js";
import { layerKeyRing } from "../crypto/keyRingService.js";
import { CubeService, layerCubeService, type BranchReport, type CubeView, type ListMemoriesOptions, type NewCubeInput, type RollbackReport } from "../cube/cubeService.js";
import { layerSubjectErasure, SubjectErasure, type ErasureCertificate } from "../erasure/subjectErasure.js";
import { EventStore } from "../eventStore/eventStorePort.js";
import { layerSqliteEventStore, type Durability } from "../eventStore/sqliteEventStore.js";
import { deferredSubscription, layerMemoryEventFeed, MemoryEventFeed, type FeedOptions, type FeedSubscription } from "../feed/memoryEventFeed.js";
import { layerIdGenerator, layerRandomIds, type IdGeneratorPort } from "../ids/idGenerator.js";
import { layerSqliteKeyStore } from "../keyStore/sqliteKeyStore.js";
import { layerMemoryRepository } from "../memory/memoryRepository.js";
import { layerHoldRegistry } from "../holdCheck/holdRegistry.js";
import { layerLegalHoldService, LegalHoldService } from "../legalHold/legalHoldService.js";
import { rootHolds } from "../legalHold/rootHolds.js";
import { layerRetentionService, RetentionService } from "../retention/retentionService.js";
import { rootRetention } from "../retention/rootRetention.js";
import { layerMemoryDecisions } from "../memoryDecisions/decisionService.js";
import { rootDecisions } from "../memoryDecisions/decisionsApi.js";
import { layerMemoryService, MemoryService, type MemoryEdit, type NewMemoryInput, type WriteOptions } from "../memory/memoryService.js";
import { withRedaction } from "../redaction/redactingMemoryService.js";
import { rootRedaction } from "../redaction/redactionLedgerApi.js";
import { Redaction } from "../redaction/redactionService.js";
import { layerRequestIdempotency, RequestIdempotency } from "./requestIdempotency.js";
import type { LedgerApi, RequestOptions } from "./ledgerApi.js";
import { scopedLedger, type LedgerInternals } from "./scopedLedger.js";
import type { ActingPrincipal } from "../governance/actingPrincipal.js";
import { governanceFacade, type GovernanceOps } from "./governanceFacade.js";
import { GovernanceService, layerGovernanceService } from "../governance/governanceService.js";
import { jwtAuthenticator, looksLikeJwt, type JwtConfig } from "../governance/jwtAuthenticator.js";
import { unauthenticated } from "../governance/governanceErrors.js";
import { openSqliteReadAuditLog } from "../readAudit/sqliteReadAuditLog.js";
import { complianceReadModel, type ComplianceStore } from "../readModels/compliance/complianceReadModel.js";
import { reportsFacade, type ReportSources } from "../compliance/reportsFacade.js";
import { holdsInErasureRegister } from "../compliance/holdsInErasureRegister.js";
import { automaticCheckpoints, tamperEvidenceSettings, type TamperEvidenceOptions } from "../tamperEvidence/tamperEvidenceOptions.js";
import { rootTamperEvidence } from "../tamperEvidence/tamperEvidenceApi.js";
import { rootEsdbTamperEvidence } from "../tamperEvidence/esdbTamperEvidenceApi.js";
import type { ReadAuditLog } from "../readAudit/readAuditPort.js";
import type { CommandContext } from "../command/commandContext.js";
import { openSqliteCheckpointStore } from "../checkpoints/sqliteCheckpointStore.js";
import { startKafkaEventRelay, type KafkaEventRelayStats } from "../feed/kafkaEventRelay.js";
import { runProbe, type EngineHealth } from "../health/engineHealth.js";
import type { GraphStoreConfig, VectorStoreConfig } from "../readModels/readModelEngines.js";
import { contextualIndexSettings, type ContextualIndexSettings } from "../contextualIndex/contextualIndexSettings.js";
import type { GraphEntityExtraction } from "../../projections/graph.js";
import { Ingestion, layerIngestion, type AddMemoriesRequest, type AddMemoriesResult } from "../ingestion/ingestionService.js";
import { layerIngestionSteps, type IngestionStep } from "../ingestion/ingestionStep.js";
import { defaultSyncAddLimits, SyncAddLimitsConfig, type SyncAddLimits } from "../ingestion/syncAddLimits.js";
import { JobBus, type JobRecord, type ListJobsOptions, type RetryPolicy } from "../jobs/jobBusPort.js";
import { layerSqliteJobBus } from "../jobs/sqliteJobBus.js";
import { waitForJob, type WaitedJob } from "../jobs/waitForJob.js";
import { layerJobWorker, type JobWorkerSettings } from "./jobWorkerLayer.js";
import { DocumentReader, layerDocumentReader } from "../documentReader/documentReaderService.js";
import { documentsFacade } from "../documentReader/documentsApi.js";
import { layerRetentionSweeps, RetentionSweeps, type RetentionSweepRequest } from "../scheduler/retentionSweep.js";
import { layerScheduledCommands, ScheduledCommands, type ScheduleRequest } from "../scheduler/scheduledCommands.js";
import { EmbedderService, layerEmbedder, type EmbedderConfig } from "../retrieval/embedderService.js";
import { embeddingStep } from "../ingestion/embeddingStep.js";
import { layerRetrieval, Retrieval } from "../retrieval/retrievalService.js";
import { memoryNeighbourhood } from "../memoryGraph/memoryNeighbourhood.js";
import type { GraphReadModel } from "../readModels/graph/graphReadModel.js";
import { graphReadModel } from "../readModels/embeddedReadModels.js";
import type { ReadModelLag } from "../readModels/projectionRunner.js";
import type { Reranker } from "../reranking/rerankerPort.js";
import type { RerankerConfig } from "../reranking/rerankerConfig.js";
import type { SearchRequest, SearchResponse } from "../search/searchRequest.js";
import { exportSubject, type SubjectExportSources } from "../subjectExport/subjectExport.js";
import { exportFingerprint } from "../subjectExport/exportFingerprint.js";
import { subjectUnitIds } from "../subjectExport/subjectUnits.js";
import { withLiveCubeWrites } from "../cube/liveCubeWrites.js";
import { liveDiff, liveHistory, liveSearch, liveUnit } from "./liveCubeReads.js";
import { transferMemory } from "../cubeTransfer/memoryTransfer.js";
import { fanOutAdd, fanOutCommandId } from "../cubeTransfer/fanOutAdd.js";
import { layerChatModel } from "../chatModel/chatModelLayer.js";
import type { ChatModelConfig } from "../chatModel/chatModelConfig.js";
import { ChatModel, type ChatModelPort } from "../chatModel/chatModelPort.js";
import { layerMemReaderWith, MemReader } from "../memReader/memReaderService.js";
import type { MemReaderSettings } from "../memReader/memReaderSettings.js";
import { memReaderFacade } from "../memReader/memReaderFacade.js";
import { interchangeOps, trustedInterchange } from "../cubeInterchange/interchangeWiring.js";
import { feedbackFacade } from "../memFeedback/feedbackApi.js";
import { feedbackOps } from "../memFeedback/feedbackOps.js";
import { feedbackPorts } from "../memFeedback/feedbackWiring.js";
import { layerPreferences, Preferences } from "../preferences/preferencesService.js";
import { preferencesFacade } from "../preferences/preferencesApi.js";
import { withEmbedderTelemetry, withEventStoreTelemetry, withJobBusTelemetry, type Telemetry } from "../metrics/instrumentedPorts.js";
import { withChatModelTelemetry } from "../metrics/instrumentedChatModel.js";

export type EventStoreConfig =
  | { readonly kind: "sqlite"; readonly durability?: Durability }
  | { readonly kind: "eventstoredb"; readonly url: string };

export type JobBusConfig =
  | { readonly kind: "sqlite"; readonly retryPolicy?: RetryPolicy; readonly leaseMs?: number; readonly heartbeatMs?: number; readonly pollIntervalMs?: number }
  | { readonly kind: "kafka"; readonly brokers: readonly string[]; readonly topicPrefix?: string; readonly groupId?: string; readonly retryPolicy?: RetryPolicy; readonly sessionTimeoutMs?: number };

/** Publishes every memory event to a Kafka topic (at-least-once, checkpointed in the data directory). */
export interface EventRelayConfig {
  readonly kind: "kafka";
  readonly brokers: readonly string[];
  readonly topic?: string;
}

export interface MemLedgerOptions {
  /** Everything embedded lives here: events.db (the log) and keys/ (data keys, outside the log). */
  readonly dataDir: string;
  readonly eventStore?: EventStoreConfig;
  readonly clock?: ClockPort;
  readonly ids?: IdGeneratorPort;
  /** Used when a call gives no context. */
  readonly defaultContext?: CommandContext;
  /** Where jobs wait: the embedded queue (`jobs.db` in the data directory, the default) or Kafka. */
  readonly jobBus?: JobBusConfig;
  /** Run the job handlers in this process (default). `false` for one-shot tools: jobs wait for a process that runs them. */
  readonly worker?: false | JobWorkerSettings;
  /** The slow work done on a unit before activation (extraction, embedding); none by default. */
  readonly ingestionSteps?: readonly IngestionStep[];
  /** The most one sync add may carry (default 200 memories, 512 KiB of text); larger adds fail with SyncAddTooLarge (413): use mode "async". */
  readonly syncAdd?: Partial<SyncAddLimits>;
  readonly eventRelay?: EventRelayConfig;
  /** Turns text into vectors for vector search; none by default (search is then BM25 + graph). */
  readonly embedder?: EmbedderConfig;
  readonly reranker?: Reranker;
  /** Builds the reranker from configuration (MEMLEDGER_RERANKER: http or llm, docs/retrieval.md) when `reranker` is not given. */
  readonly rerankerConfig?: RerankerConfig;
  /** How long a search waits for read models to fold earlier writes; default 2,000 ms. */
  readonly searchConsistencyTimeoutMs?: number;
  /** Where the graph read model lives: embedded (default) or Neo4j. */
  readonly graph?: GraphStoreConfig;
  /** Where the vector read model lives (with an embedder): embedded (default) or Qdrant. */
  readonly vector?: VectorStoreConfig;
  /** Contextual indexing (src/contextualIndex/): which session neighbours a turn's full-text entry holds; default `defaultContextualIndex` (the previous turn). */
  readonly contextualIndex?: Partial<ContextualIndexSettings>;
  /** How the embedded graph finds names: `caps` (capitalised runs, default) or `nlp` (typed people, places, organisations, dates; projections/namedEntities.ts). */
  readonly graphEntities?: GraphEntityExtraction;
  /** Bearer JWTs from an identity provider (OIDC), besides API keys. */
  readonly jwt?: JwtConfig;
  /**
   * The read audit (audit/reads.db): `buffered` (default) writes every 50 ms,
   * `sync` before each read returns; `false` records nothing (benchmarks only).
   */
  readonly readAudit?: { readonly mode?: "buffered" | "sync"; readonly flushIntervalMs?: number } | false;
  /** Signed checkpoints of the embedded log (docs/compliance.md): every N events (default 10,000; false: on demand only) and where key and checkpoints live. */
  readonly tamperEvidence?: TamperEvidenceOptions;
  /** The chat model (docs/llm.md): an OpenAI-compatible endpoint, or a port built by the caller; absent: what needs one fails with ChatModelNotConfigured (409). */
  readonly chatModel?: ChatModelConfig | ChatModelPort;
  /** MemReader (docs/memreader.md): fast mode's window of turns and whether the chat model reads images; default from the environment. */
  readonly memReader?: Partial<MemReaderSettings>;
  /** Metrics and traces (docs/operations.md): the event store, job bus and embedder report into them; absent, nothing is decorated. */
  readonly telemetry?: Telemetry;
}

/** What `GET /health/ready` reports. */
export interface HealthReport {
  /**
   * `ready`: every engine answers. `degraded`: writes work (log and job bus
   * answer) but a read-side engine (graph, vectors, relay) or a projection is
   * failing, so some reads are partial or behind. `unavailable`: writes cannot
   * be taken (the log or the job bus does not answer).
   */
  readonly status: "ready" | "degraded" | "unavailable";
  readonly engines: readonly EngineHealth[];
  readonly projections: readonly ReadModelLag[];
  /** The Kafka relay of memory events, when it runs: how far it has published. */
  readonly eventRelay?: { readonly topic: string; readonly position: number; readonly behind: number };
}

/**
 * The typed in-process API an agent imports. The root ledger is trusted code:
 * its calls act as whatever CommandContext they are given (or the default
 * one). `as(principal)` gives the same API acting as a principal, checked by
 * the policy decision point and recorded in the read audit: the REST server,
 * the CLI and MCP use only that.
 */
export interface MemLedger extends LedgerApi<CommandContext> {
  /** The ledger as one principal sees it: every call authorized, every read audited. */
  as(principal: ActingPrincipal): ScopedLedger;
  /** A bearer credential (API key, or a JWT when OIDC is configured) -> who it is, or Unauthenticated. */
  authenticate(token: string, options?: { readonly onBehalfOf?: string; readonly requestId?: string }): Promise<ActingPrincipal>;
  /** First start: when the tenant has no admin, create one and write its key to `keyFile` (0600). */
  bootstrapAdmin(keyFile: string, tenantId?: string): Promise<{ readonly created: boolean; readonly keyFile: string }>;
  readonly engine: string;
  /** The configured chat model (docs/llm.md), undefined when none is: mem_chat (src/memChat/) asks it with a principal's ledger. */
  chatModel(): Promise<ChatModelPort | undefined>;
  /** Probes every engine (log, job bus, graph, vectors, relay) and reports each projection's lag. */
  health(timeoutMs?: number): Promise<HealthReport>;
  close(): Promise<void>;
}

export type ScopedLedger = LedgerApi<RequestOptions>;

/** The running Kafka relay's progress, for health reports; absent when no relay runs. */
class EventRelayStatus extends Context.Tag("memledger/EventRelayStatus")<EventRelayStatus, { readonly topic?: string; stats(): KafkaEventRelayStats | undefined }>() {}

export function memLedgerLayer(options: MemLedgerOptions) {
  const eventStoreConfig = options.eventStore ?? { kind: "sqlite" };
  const eventStore =
    eventStoreConfig.kind === "sqlite"
      ? layerSqliteEventStore({ path: join(options.dataDir, "events.db"), durability: eventStoreConfig.durability ?? "full", ...automaticCheckpoints(options) })
      : Layer.unwrapEffect(
          Effect.promise(() => import("../eventStore/eventStoreDbEventStore.js")).pipe(Effect.map((m) => m.layerEventStoreDbEventStore({ url: eventStoreConfig.url }))),
        );
  const keyStore = layerSqliteKeyStore(join(options.dataDir, "keys", "keys.db"));
  const base = Layer.mergeAll(
    withEventStoreTelemetry(eventStore, options.telemetry),
    Layer.provide(layerKeyRing, keyStore),
    options.clock ? layerClock(options.clock) : layerSystemClock,
    options.ids ? layerIdGenerator(options.ids) : layerRandomIds,
    // Beneath everything, so job handlers and facades alike can ask for it.
    withChatModelTelemetry(layerChatModel(options.chatModel), options.telemetry),
  );
  const repository = Layer.provideMerge(layerMemoryRepository, base);
  // Holds bind every memory command, so the hold registry sits beneath the memory service.
  // Redaction wraps the memory service: personal data is masked before any content reaches the log.
  const memories = Layer.provideMerge(withRedaction(withLiveCubeWrites(layerMemoryService)), Layer.provideMerge(layerHoldRegistry, repository));
  const embedding = Layer.provideMerge(withEmbedderTelemetry(layerEmbedder(options.embedder, options.dataDir), options.telemetry), memories);
  const retrieval = Layer.provideMerge(
    layerRetrieval({
      dataDir: options.dataDir,
      ...(options.reranker ? { reranker: options.reranker } : {}),
      ...(options.rerankerConfig ? { rerankerConfig: options.rerankerConfig } : {}),
      ...(options.telemetry?.metrics ? { onRerankSeconds: (seconds: number) => options.telemetry!.metrics!.rerankDuration.observe(seconds) } : {}),
      ...(options.searchConsistencyTimeoutMs !== undefined ? { consistencyTimeoutMs: options.searchConsistencyTimeoutMs } : {}),
      engines: {
        ...(options.graph ? { graph: options.graph } : {}),
        ...(options.vector ? { vector: options.vector } : {}),
        ...(options.contextualIndex ? { contextualIndex: contextualIndexSettings(options.contextualIndex) } : {}),
        ...(options.graphEntities ? { graphEntities: options.graphEntities } : {}),
      },
    }),
    embedding,
  );
  const services = Layer.provideMerge(Layer.mergeAll(layerCubeService, layerSubjectErasure, layerMemoryEventFeed, layerRequestIdempotency, layerGovernanceService), retrieval);
  // With an embedder, a unit is embedded before it is activated (generated -> activated once indexed).
  const steps = Layer.unwrapEffect(
    Effect.map(EmbedderService, (e) => layerIngestionSteps([...(e ? [embeddingStep(e.embedder)] : []), ...(options.ingestionSteps ?? [])])),
  );
  const scheduling = Layer.provideMerge(
    Layer.mergeAll(layerIngestion, layerScheduledCommands, layerRetentionSweeps, layerLegalHoldService, layerRetentionService, layerMemoryDecisions, layerMemReaderWith(options.memReader), layerPreferences),
    Layer.mergeAll(services, withJobBusTelemetry(jobBusLayer(options), options.telemetry), Layer.provide(steps, embedding), Layer.succeed(SyncAddLimitsConfig, { ...defaultSyncAddLimits, ...options.syncAdd })),
  );
  // Documents are chunked with the embedding model's own tokenizer when it is a local one.
  const reading = Layer.provideMerge(layerDocumentReader(options.embedder?.kind === "onnx" ? { tokenizerDir: options.embedder.modelDir } : {}), scheduling);
  const worker = options.worker === false ? Layer.empty : layerJobWorker(options.worker ?? {});
  const relay = options.eventRelay ? eventRelayLayer(options.dataDir, options.eventRelay) : Layer.succeed(EventRelayStatus, { stats: () => undefined });
  return Layer.provideMerge(Layer.mergeAll(worker, relay), reading);
}

function jobBusLayer(options: MemLedgerOptions) {
  const config = options.jobBus ?? { kind: "sqlite" };
  if (config.kind === "sqlite") {
    return layerSqliteJobBus({
      path: join(options.dataDir, "jobs.db"),
      ...(config.retryPolicy ? { retryPolicy: config.retryPolicy } : {}),
      ...(config.leaseMs !== undefined ? { leaseMs: config.leaseMs } : {}),
      ...(config.heartbeatMs !== undefined ? { heartbeatMs: config.heartbeatMs } : {}),
      ...(config.pollIntervalMs !== undefined ? { pollIntervalMs: config.pollIntervalMs } : {}),
    });
  }
  return Layer.unwrapEffect(
    Effect.promise(() => import("../jobs/kafkaJobBus.js")).pipe(
      Effect.map((m) =>
        m.layerKafkaJobBus({
          brokers: [...config.brokers],
          ...(config.topicPrefix ? { topicPrefix: config.topicPrefix } : {}),
          ...(config.groupId ? { groupId: config.groupId } : {}),
          ...(config.retryPolicy ? { retryPolicy: config.retryPolicy } : {}),
          ...(config.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: config.sessionTimeoutMs } : {}),
        }),
      ),
    ),
  );
}

/** The relay runs for the application's lifetime and saves its checkpoint on a clean stop. */
function eventRelayLayer(dataDir: string, config: EventRelayConfig) {
  return Layer.scoped(
    EventRelayStatus,
    Effect.gen(function* () {
      const eventStore = yield* EventStore;
      const checkpoints = yield* Effect.acquireRelease(
        Effect.sync(() => openSqliteCheckpointStore(join(dataDir, "checkpoints.db"))),
        (store) => Effect.promise(() => store.close()),
      );
      const relay = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => startKafkaEventRelay({ eventStore, checkpoints, brokers: config.brokers, ...(config.topic ? { topic: config.topic } : {}) }),
          // Fail the start with a message an operator can act on, rather than run without the feed they asked for.
          catch: (cause) =>
            new Error(`the memory event relay could not start against Kafka at ${config.brokers.join(",")}: ${cause instanceof Error ? cause.message : String(cause)}; start Kafka or turn the relay off (MEMLEDGER_EVENT_RELAY=off)`, { cause }),
        }).pipe(Effect.orDie),
        (relay) => Effect.promise(() => relay.stop()),
      );
      return { topic: relay.topic, stats: () => relay.stats() };
    }),
  );
}

/** Runs an effect and rethrows its typed failure as is, so callers can switch on `_tag`. */
async function unwrap<A, E>(exit: Promise<Exit.Exit<A, E>>): Promise<A> {
  const result = await exit;
  if (Exit.isSuccess(result)) return result.value;
  const failure = Cause.failureOption(result.cause);
  if (Option.isSome(failure)) throw failure.value;
  throw Cause.squash(result.cause);
}

/** How long an erasure waits for the read models to purge their copies before it answers. */
const erasurePurgeTimeoutMs = 30_000;

export async function openMemLedger(options: MemLedgerOptions): Promise<MemLedger> {
  const runtime = ManagedRuntime.make(memLedgerLayer(options));
  const defaults: CommandContext = options.defaultContext ?? { tenantId: "default", actor: "library" };
  const ctxOr = (ctx?: CommandContext) => ctx ?? defaults;
  const run = <A, E>(
    effect: Effect.Effect<A, E, MemoryService | CubeService | SubjectErasure | MemoryEventFeed | EventStore | JobBus | Ingestion | ScheduledCommands | RetentionSweeps | Retrieval | EventRelayStatus | RequestIdempotency | GovernanceService | Clock>,
  ) =>
    unwrap(runtime.runPromiseExit(effect));
  const bus = <A, E>(f: (s: (typeof JobBus)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(JobBus, f));
  const runCompliance = <A, E>(effect: Effect.Effect<A, E, LegalHoldService | RetentionService>) => unwrap(runtime.runPromiseExit(effect));
  const engine = await run(Effect.map(EventStore, (s) => s.engine));
  // Read-audit times come from the same injected clock as event times, so the two can be compared.
  const clock = await run(Clock);
  const mem = <A, E>(f: (s: (typeof MemoryService)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(MemoryService, f));
  const cube = <A, E>(f: (s: (typeof CubeService)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(CubeService, f));
  const subj = <A, E>(f: (s: (typeof SubjectErasure)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(SubjectErasure, f));
  const retrieve = <A, E>(f: (s: (typeof Retrieval)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(Retrieval, f));
  // A write with an Idempotency-Key first claims the key for this exact request (operation, target, body), then runs under the key's scoped command id.
  const once = <A, E>(operation: string, request: unknown, ctx: CommandContext | undefined, command: (ctx: CommandContext) => Effect.Effect<A, E, MemoryService | CubeService | SubjectErasure | Ingestion | ScheduledCommands | RetentionSweeps>) =>
    run(Effect.flatMap(RequestIdempotency, (r) => Effect.flatMap(r.claim(ctxOr(ctx), operation, request), command)));
  const onMemory = <A, E>(f: (s: (typeof MemoryService)["Service"]) => Effect.Effect<A, E>) => Effect.flatMap(MemoryService, f);
  const onCube = <A, E>(f: (s: (typeof CubeService)["Service"]) => Effect.Effect<A, E>) => Effect.flatMap(CubeService, f);
  // An erasure returns once the read models have folded it too, so no derived copy (full text, vectors,
  // graph names) outlives the answer; if they are stuck, the erasure stands and they purge when they resume.
  const afterPurge = async <A>(result: A): Promise<A> => {
    await retrieve((r) => Effect.zipRight(r.catchUp(erasurePurgeTimeoutMs, { includeRebuilds: true }), r.forgetCachedAnswers()));
    return result;
  };
  const gov = <A, E>(f: (s: (typeof GovernanceService)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(GovernanceService, f));
  const readAudit: ReadAuditLog = options.readAudit === false ? noReadAudit : openSqliteReadAuditLog({ path: join(options.dataDir, "audit", "reads.db"), ...options.readAudit });
  const verifyJwt = options.jwt ? await jwtAuthenticator(options.jwt) : undefined;
  const governanceOps: GovernanceOps = {
    access: (tenantId, asOf) => gov((g) => g.access(tenantId, asOf)),
    execute: async (tenantId, command, ctx) => void (await gov((g) => g.execute(tenantId, command, ctx))),
    issueKey: (tenantId, request, ctx) => gov((g) => g.issueKey(tenantId, request, ctx)),
    tenantOfCube: (cubeId) => cube((s) => s.tenantOf(cubeId)),
  };
  // Trusted code acts as the system: it passes every check, and its events name the actor its context gives.
  const trustedGovernance = (tenantId: string) =>
    governanceFacade<CommandContext>(governanceOps, {
      tenantId,
      principalId: "system",
      self: async () => ({ tenantId, principalId: "system", kind: "admin", displayName: "trusted in-process code", roles: [], groups: [], disabled: false }),
      check: async () => undefined,
      ctxOf: (ctx) => ({ ...(ctx ?? defaults), tenantId }),
    });
  // Reports read the compliance read model once it folded what was written before the call.
  const reportSources: ReportSources = {
    store: () => retrieve((r) => r.readModel<ComplianceStore>(complianceReadModel)),
    readAudit,
    access: (tenantId, asOf) => governanceOps.access(tenantId, asOf),
    certificates: (subjectId, tenantId) => subj((s) => s.certificates(subjectId, tenantId)),
    // Active holds and the erasures they keep waiting close the register (trusted: the report's own gate ran first).
    erasureExtension: holdsInErasureRegister(rootHolds(runCompliance, defaults)),
    now: () => clock.now().toISOString(),
  };
  const subjectExportSources: SubjectExportSources = {
    unitIds: (subjectId, tenantId) => run(Effect.flatMap(EventStore, (s) => subjectUnitIds(s, subjectId, tenantId))),
    get: (id, asOf) => mem((s) => s.get(id, asOf)),
    history: (id) => mem((s) => s.history(id)),
    certificates: (subjectId, tenantId) => subj((s) => s.certificates(subjectId, tenantId)),
    redactions: (id) => unwrap(runtime.runPromiseExit(Effect.flatMap(Redaction, (r) => r.originals(id)))),
    readAudit,
    now: () => clock.now().toISOString(),
  };
  // Export reads and import writes the log and key store directly; creates of external formats go through the root ledger.
  const interchange = interchangeOps((effect) => unwrap(runtime.runPromiseExit(effect)), () => rootApi, {
    grantsOf: async (cubeId) => (await governanceOps.access((await governanceOps.tenantOfCube(cubeId)) ?? defaults.tenantId)).cubeGrants[cubeId] ?? [],
    tenantOfCube: governanceOps.tenantOfCube,
  });
  // Feedback runs its steps through the root API (idempotency, holds, redaction, purge after erasure) once a facade checked; candidates come from the search given.
  const feedbackFor = (search: MemLedger["search"]) => feedbackOps(feedbackPorts((effect) => unwrap(runtime.runPromiseExit(effect)), () => ({ memories: rootApi.memories, search })));
  const rootApi: MemLedger = {
    engine,
    as: (principal) => scopedLedger(internals, principal),
    authenticate: async (token, authOptions = {}) => {
      const extra = { ...(authOptions.onBehalfOf !== undefined ? { onBehalfOf: authOptions.onBehalfOf } : {}), ...(authOptions.requestId !== undefined ? { requestId: authOptions.requestId } : {}) };
      if (verifyJwt !== undefined && looksLikeJwt(token)) {
        const verified = await verifyJwt(token);
        if (!verified.ok) throw unauthenticated(verified.why);
        const { principal, scopes } = verified.identity;
        return { tenantId: principal.tenantId, principalId: principal.principalId, scopes, external: principal, ...extra };
      }
      const { principal, scopes } = await gov((g) => g.authenticate(token));
      return { tenantId: principal.tenantId, principalId: principal.principalId, scopes, ...extra };
    },
    bootstrapAdmin: (keyFile, tenantId = defaults.tenantId) => gov((g) => g.ensureBootstrapAdmin(tenantId, keyFile)),
    cubes: {
      create: (input, ctx) => once("cube.create", { input }, ctx, (c) => onCube((s) => s.create(input, c))),
      get: (cubeId) => cube((s) => s.get(cubeId)),
      list: (tenantId, listOptions) => cube((s) => s.list(tenantId ?? defaults.tenantId, listOptions)),
      memories: (cubeId, opts) => cube((s) => s.listMemories(cubeId, opts)),
      rollback: (cubeId, toTime, ctx) => once("cube.rollback", { cubeId, toTime }, ctx, (c) => onCube((s) => s.rollback(cubeId, toTime, c))),
      branch: (cubeId, asOf, target, ctx) => once("cube.branch", { cubeId, asOf, target }, ctx, (c) => onCube((s) => s.branch(cubeId, asOf, target ?? {}, c))),
      scheduleRetentionSweep: (cubeId, request, ctx) => once("cube.retentionSweep", { cubeId, request }, ctx, (c) => Effect.flatMap(RetentionSweeps, (s) => s.schedule(cubeId, request, c))),
      update: (cubeId, changes, ctx) => once("cube.update", { cubeId, changes }, ctx, (c) => onCube((s) => s.update(cubeId, changes, c))),
      remove: (cubeId, ctx) => once("cube.remove", { cubeId }, ctx, (c) => onCube((s) => s.remove(cubeId, c))),
      reinstate: (cubeId, ctx) => once("cube.reinstate", { cubeId }, ctx, (c) => onCube((s) => s.reinstate(cubeId, c))),
    },
    memories: {
      // Preconditions (expectedRevision, If-Match) are left out of the fingerprint: a retry after success carries a stale one and still gets its answer.
      create: (input, ctx) => once("memory.create", { input }, ctx, (c) => onMemory((s) => s.create(input, c))),
      add: (cubeId, request, ctx) => once("memory.add", { cubeId, request }, ctx, (c) => Effect.flatMap(Ingestion, (s) => s.add(cubeId, request, c))),
      schedule: (memoryId, request, ctx) => once("memory.schedule", { memoryId, request }, ctx, (c) => Effect.flatMap(ScheduledCommands, (s) => s.schedule(memoryId, request, c))),
      activate: (id, ctx, o) => once("memory.activate", { id }, ctx, (c) => onMemory((s) => s.activate(id, c, o))),
      edit: (id, edit, ctx, o) => once("memory.edit", { id, edit }, ctx, (c) => onMemory((s) => s.edit(id, edit, c, o))),
      merge: (id, successorId, ctx, o) => once("memory.merge", { id, successorId }, ctx, (c) => onMemory((s) => s.merge(id, successorId, c, o))),
      archive: (id, ctx, o) => once("memory.archive", { id }, ctx, (c) => onMemory((s) => s.archive(id, c, o))),
      restore: (id, ctx, o) => once("memory.restore", { id }, ctx, (c) => onMemory((s) => s.restore(id, c, o))),
      freeze: (id, reason, note, ctx, o) => once("memory.freeze", { id, reason, note }, ctx, (c) => onMemory((s) => s.freeze(id, reason, note, c, o))),
      erase: async (id, ctx) => afterPurge(await once("memory.erase", { id }, ctx, (c) => onMemory((s) => s.erase(id, c)))),
      revert: (id, toRevision, ctx, o) => once("memory.revert", { id, toRevision }, ctx, (c) => onMemory((s) => s.revert(id, toRevision, c, o))),
      // Reads of a unit whose cube is removed answer 410 CubeRemoved (src/cube/liveCubeReads.ts).
      get: (id, asOf) => run(liveUnit(id, asOf)),
      history: (id) => run(liveHistory(id)),
      diff: (id, from, to) => run(liveDiff(id, from, to)),
      neighbourhood: (id, o) =>
        memoryNeighbourhood(
          {
            unit: (memoryId) => rootApi.memories.get(memoryId),
            visibleUnits: (cubeId) => rootApi.cubes.memories(cubeId),
            traverse: (query) => retrieve((r) => Effect.flatMap(r.readModel<GraphReadModel>(graphReadModel), (graph) => Effect.promise(() => graph.traverse(query)))),
          },
          id,
          o,
        ),
      // The transfer reads the hold registry and the repository too, so it runs on the whole runtime.
      transfer: (id, request, ctx) =>
        unwrap(runtime.runPromiseExit(Effect.flatMap(RequestIdempotency, (r) => Effect.flatMap(r.claim(ctxOr(ctx), "memory.transfer", { id, request }), (c) => transferMemory(id, request, c))))),
      fanOut: (request, ctx) =>
        fanOutAdd(rootApi.memories.add, request, (cubeId) => {
          const { commandId, ...rest } = ctxOr(ctx);
          const derived = fanOutCommandId(commandId, cubeId);
          return derived !== undefined ? { ...rest, commandId: derived } : rest;
        }),
    },
    subjects: {
      erase: async (subjectId, ctx) => afterPurge(await once("subject.erase", { subjectId }, ctx, (c) => Effect.flatMap(SubjectErasure, (s) => s.erase(subjectId, c)))),
      certificates: (subjectId) => subj((s) => s.certificates(subjectId, defaults.tenantId)),
      // Trusted code exports too, and is recorded in the read audit under its actor: an export is a read of personal data.
      export: (subjectId, paging) => exportSubject(subjectExportSources, { tenantId: defaults.tenantId, principalId: defaults.actor, queryFingerprint: exportFingerprint(subjectId, paging) }, subjectId, paging),
    },
    jobs: {
      get: (jobId) => bus((b) => b.get(jobId)),
      list: (listOptions) => bus((b) => b.list(listOptions)),
      wait: (jobId, timeoutMs) => bus((b) => waitForJob(b, jobId, timeoutMs)),
      retry: (jobId) => bus((b) => b.retry(jobId)),
    },
    search: (request) => run(liveSearch(request)),
    readModels: {
      lag: () => retrieve((r) => r.lag()),
      rebuild: (name) => retrieve((r) => r.rebuild(name)),
      catchUp: (timeoutMs) => retrieve((r) => r.catchUp(timeoutMs ?? 10_000)),
    },
    feed: {
      subscribe: (opts) => deferredSubscription(() => run(Effect.flatMap(MemoryEventFeed, (s) => s.subscribe(opts)))),
    },
    governance: trustedGovernance(defaults.tenantId),
    holds: rootHolds(runCompliance, defaults),
    retention: rootRetention(runCompliance, defaults),
    decisions: rootDecisions((effect) => unwrap(runtime.runPromiseExit(effect)), defaults),
    reports: reportsFacade(reportSources, { tenantId: defaults.tenantId, check: async () => undefined }),
    documents: documentsFacade((cubeId, request, ctx) => unwrap(runtime.runPromiseExit(Effect.flatMap(DocumentReader, (r) => r.add(cubeId, request, ctx)))), {
      tenantOfCube: (cubeId) => cube((s) => s.tenantOf(cubeId)),
      check: async () => undefined,
      ctxOf: ctxOr,
    }),
    tamperEvidence: options.eventStore?.kind === "eventstoredb" ? rootEsdbTamperEvidence({ ...tamperEvidenceSettings(options), url: options.eventStore.url }) : rootTamperEvidence(tamperEvidenceSettings(options)),
    redaction: rootRedaction((call) => unwrap(runtime.runPromiseExit(Effect.flatMap(Redaction, call))), ctxOr),
    memReader: memReaderFacade<CommandContext>(
      {
        // Claimed like every write: a retried call with the same Idempotency-Key gets the first answer, not a second conversation.
        addMessages: (cubeId, request, ctx) =>
          unwrap(runtime.runPromiseExit(Effect.flatMap(RequestIdempotency, (r) => Effect.flatMap(r.claim(ctx, "memreader.addMessages", { cubeId, request }), (c) => Effect.flatMap(MemReader, (s) => s.addMessages(cubeId, request, c)))))),
      },
      { check: async () => undefined, ctxOf: ctxOr, tenantOfCube: governanceOps.tenantOfCube },
    ),
    interchange: trustedInterchange(interchange, defaults, readAudit, () => clock.now().toISOString()),
    feedback: feedbackFacade<CommandContext>(feedbackFor((request) => rootApi.search(request)), {
      check: async () => undefined,
      ctxOf: ctxOr,
      tenantOfCube: governanceOps.tenantOfCube,
    }),
    preferences: preferencesFacade<CommandContext>(
      {
        infer: (cubeId, userId, ctx) => unwrap(runtime.runPromiseExit(Effect.flatMap(Preferences, (p) => p.enqueueInference(cubeId, userId, ctx)))),
        profile: (cubeId, userId, tenantId) => unwrap(runtime.runPromiseExit(Effect.flatMap(Preferences, (p) => p.profile(cubeId, userId, tenantId)))),
      },
      { check: async () => undefined, ctxOf: ctxOr, tenantOfCube: governanceOps.tenantOfCube },
    ),
    audit: {
      whoRead: (memoryId, query = {}) => readAudit.whoRead(memoryId, { ...query, tenantId: defaults.tenantId }),
      readsBy: (principalId, query = {}) => readAudit.readsBy(principalId, { ...query, tenantId: defaults.tenantId }),
    },
    health: (timeoutMs = 3_000) => run(healthReport(timeoutMs)),
    chatModel: () => unwrap(runtime.runPromiseExit(Effect.map(Effect.serviceOption(ChatModel), Option.getOrUndefined))),
    close: async () => {
      await readAudit.close();
      await runtime.dispose();
    },
  };
  const internals: LedgerInternals = {
    root: rootApi,
    access: (tenantId) => governanceOps.access(tenantId),
    tenantOfCube: governanceOps.tenantOfCube,
    certificates: (subjectId, tenantId) => subj((s) => s.certificates(subjectId, tenantId)),
    subjectExport: subjectExportSources,
    unitEvenIfCubeRemoved: (memoryId, asOf) => mem((s) => s.get(memoryId, asOf)),
    requireLiveCube: (cubeId, memoryId, asOf) => cube((s) => s.requireLive(cubeId, asOf, memoryId)),
    grantCreator: (cubeId, principalId, ctx) => governanceOps.execute(ctx.tenantId, { type: "grantCubeAccess", cubeId, grantee: { kind: "principal", id: principalId }, permission: "admin" }, ctx),
    governance: governanceOps,
    reports: reportSources,
    readAudit,
    interchange,
    feedbackFor,
    now: () => clock.now().toISOString(),
  };
  return rootApi;
}

/** Benchmarks compare search with and without the read audit; the product always records. */
const noReadAudit: ReadAuditLog = {
  record: () => undefined,
  flush: async () => undefined,
  whoRead: async () => [],
  readsBy: async () => [],
  close: async () => undefined,
};

/** Every engine probed at once, each with its own deadline, plus the projections' lag. */
function healthReport(timeoutMs: number) {
  return Effect.gen(function* () {
    const eventStore = yield* EventStore;
    const jobBus = yield* JobBus;
    const retrieval = yield* Retrieval;
    const relay = yield* EventRelayStatus;
    const head = { position: 0 };
    const [logHealth, busHealth, readSide] = yield* Effect.promise(() =>
      Promise.all([
        runProbe(
          {
            role: "eventStore",
            engine: eventStore.engine.split(":")[0] ?? eventStore.engine,
            // health() fails when the log cannot take writes (damaged), which makes the whole service unavailable.
            check: async () => {
              const detail = await Effect.runPromise(eventStore.health());
              head.position = await Effect.runPromise(eventStore.headPosition());
              return detail;
            },
          },
          timeoutMs,
        ),
        runProbe({ role: "jobBus", engine: jobBus.engine.split(":")[0] ?? jobBus.engine, check: () => Effect.runPromise(jobBus.health()) }, timeoutMs),
        Effect.runPromise(retrieval.health(timeoutMs)),
      ]),
    );
    const projections = logHealth.ok ? yield* retrieval.lag().pipe(Effect.orElseSucceed(() => [] as readonly ReadModelLag[])) : [];
    const stats = relay.stats();
    const eventRelay = stats && relay.topic ? { topic: relay.topic, position: stats.position, behind: Math.max(0, head.position - stats.position) } : undefined;
    const engines = [logHealth, busHealth, ...readSide];
    const status: HealthReport["status"] = !logHealth.ok || !busHealth.ok ? "unavailable" : readSide.some((e) => !e.ok) || projections.some((p) => p.lastError !== undefined) ? "degraded" : "ready";
    return { status, engines, projections, ...(eventRelay ? { eventRelay } : {}) } satisfies HealthReport;
  });
}

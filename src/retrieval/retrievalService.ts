import { Context, Effect, Layer, Option } from "effect";
import { Clock } from "../clock/clock.js";
import { rankStillValidFirst } from "../../domain/memoryDecisions/factValidity.js";
import { join } from "node:path";
import { KeyRingService } from "../crypto/keyRingService.js";
import type { EventStoreUnavailable } from "../eventStore/eventStoreErrors.js";
import { EventStore } from "../eventStore/eventStorePort.js";
import type { GraphReadModel } from "../readModels/graph/graphReadModel.js";
import { graphReadModel } from "../readModels/embeddedReadModels.js";
import { readModelEngines, type ReadModelEngineConfig } from "../readModels/readModelEngines.js";
import { runProbe, type EngineHealth } from "../health/engineHealth.js";
import { lexicalReadModel, type LexicalStore } from "../readModels/lexical/sqliteLexicalStore.js";
import { memoryViewReadModel, type MemoryListQuery, type MemoryViewRow, type MemoryViewStore } from "../readModels/memoryView/sqliteMemoryViewStore.js";
import { ReadModelUnavailable, startProjectionRunner, type ProjectionRunner, type ReadModelLag } from "../readModels/projectionRunner.js";
import { vectorReadModel, type VectorReadModel } from "../readModels/vector/vectorReadModel.js";
import { hybridSearch } from "../search/hybridSearch.js";
import { normalizeSearchRequest } from "../search/normalizeSearchRequest.js";
import type { Reranker } from "../reranking/rerankerPort.js";
import { InvalidSearch, ReadModelEngineUnavailable, SearchModeUnavailable } from "../search/searchErrors.js";
import type { ReadModelStore } from "../readModels/readModelStore.js";
import type { SearchRequest, SearchResponse } from "../search/searchRequest.js";
import { EmbedderService } from "./embedderService.js";
import { yieldToEventLoop } from "../command/yieldToEventLoop.js";
import { searchResultCache } from "./searchResultCache.js";
import { EmbedderUnavailable, EmbeddingFailed } from "../embedding/embeddingErrors.js";
import { ChatModel } from "../chatModel/chatModelPort.js";
import type { RerankerConfig } from "../reranking/rerankerConfig.js";
import { rerankerFromConfig } from "../reranking/rerankerFromConfig.js";
import type { RerankCost } from "../reranking/rerankFusedTop.js";

/**
 * Searches running their retrieval at once. Each starts in a fresh turn of the event loop,
 * so health checks and writes get in between searches instead of waiting behind a whole
 * burst of them. On embedded read models retrieval is synchronous CPU work, so more at once
 * would only lengthen each; with the graph or vectors on a server it mostly waits on the
 * network, so more may run.
 */
const searchesAtOnce = { embedded: 2, withServers: 16 } as const;

export interface RetrievalOptions {
  /** Read models live in `<dataDir>/readmodels/`. */
  readonly dataDir: string;
  readonly reranker?: Reranker;
  /** Builds the reranker when no `reranker` is given (MEMLEDGER_RERANKER); its topN is how many fused candidates it reads. */
  readonly rerankerConfig?: RerankerConfig;
  /** Told each rerank's seconds (the memledger_reranker_duration_seconds histogram). */
  readonly onRerankSeconds?: (seconds: number) => void;
  /** How long a search waits for the read models to fold the events written before it; default 2 s. */
  readonly consistencyTimeoutMs?: number;
  /** Where the graph and vector read models live; embedded by default. */
  readonly engines?: ReadModelEngineConfig;
}

export interface RetrievalPort {
  search(
    request: SearchRequest,
  ): Effect.Effect<SearchResponse, InvalidSearch | SearchModeUnavailable | ReadModelEngineUnavailable | ReadModelUnavailable | EventStoreUnavailable | EmbedderUnavailable | EmbeddingFailed>;
  /** Units from the memory view read model, current or as of a moment. */
  list(query: MemoryListQuery): Effect.Effect<readonly MemoryViewRow[], EventStoreUnavailable | ReadModelUnavailable>;
  lag(): Effect.Effect<readonly ReadModelLag[], EventStoreUnavailable>;
  /** Joins the rebuild under way (a repair after damage included); fails with ReadModelUnavailable when the store cannot open. */
  rebuild(name: string): Effect.Effect<{ events: number; seconds: number }, InvalidSearch | ReadModelUnavailable>;
  /** Waits until every read model folded the log up to its head at call time (and, with includeRebuilds, every rebuild's new generation). */
  catchUp(timeoutMs: number, options?: { readonly includeRebuilds?: boolean }): Effect.Effect<boolean, EventStoreUnavailable>;
  /** Drops every cached search answer at once: an erasure must not leave its content in memory until the next search. */
  forgetCachedAnswers(): Effect.Effect<void>;
  /** Probes the engines the read models live on (Neo4j, Qdrant, or embedded). */
  health(timeoutMs: number): Effect.Effect<readonly EngineHealth[]>;
  readonly readModels: readonly string[];
  /** A read model's live store once it folded the events written before the call (within the consistency timeout). */
  readModel<S extends ReadModelStore>(name: string): Effect.Effect<S, EventStoreUnavailable | ReadModelUnavailable>;
}

export class Retrieval extends Context.Tag("memledger/Retrieval")<Retrieval, RetrievalPort>() {}

/** Starts the projection runner for the embedded read models and serves search over them. */
export function layerRetrieval(options: RetrievalOptions) {
  return Layer.scoped(
    Retrieval,
    Effect.gen(function* () {
      const eventStore = yield* EventStore;
      const clock = yield* Clock;
      const keyRing = yield* KeyRingService;
      const embedding = yield* EmbedderService;
      const engines = yield* Effect.acquireRelease(
        Effect.promise(() => readModelEngines(options.engines ?? {}, embedding)),
        (e) => Effect.promise(() => e.close()),
      );
      const definitions = engines.definitions;
      const runner: ProjectionRunner = yield* Effect.acquireRelease(
        Effect.promise(() => startProjectionRunner({ eventStore, keyRing, directory: join(options.dataDir, "readmodels"), definitions })),
        (r) => Effect.promise(() => r.stop()),
      );
      const consistencyTimeoutMs = options.consistencyTimeoutMs ?? 2_000;
      const onServers = options.engines?.graph?.kind === "neo4j" || options.engines?.vector?.kind === "qdrant";
      const searchGate = yield* Effect.makeSemaphore(onServers ? searchesAtOnce.withServers : searchesAtOnce.embedded);
      const answers = searchResultCache();
      const chatModel = Option.getOrUndefined(yield* Effect.serviceOption(ChatModel));
      const reranker = options.reranker ?? (options.rerankerConfig ? rerankerFromConfig(options.rerankerConfig, chatModel) : undefined);
      const rerankTopN = options.rerankerConfig?.topN;
      const known = definitions.map((d) => d.name);

      // A read model being repaired (or whose engine is down) is a typed failure, a 503 with Retry-After at the REST edge.
      const requiredStore = <S extends ReadModelStore>(name: string): Effect.Effect<S, ReadModelUnavailable> =>
        Effect.suspend(() => {
          try {
            return Effect.succeed(runner.store<S>(name));
          } catch (error) {
            return error instanceof ReadModelUnavailable ? Effect.fail(error) : Effect.die(error);
          }
        });

      const catchUp = (timeoutMs: number, waitOptions?: { readonly includeRebuilds?: boolean }) =>
        Effect.flatMap(eventStore.headPosition(), (head) => Effect.promise(() => runner.waitFor(head, timeoutMs, waitOptions)));

      return Retrieval.of({
        readModels: known,
        search: (request) =>
          Effect.gen(function* () {
            const plan = normalizeSearchRequest(
              request,
              { vector: embedding !== undefined, reranker: reranker !== undefined, ...(embedding?.searchVectorWeight !== undefined ? { defaultVectorWeight: embedding.searchVectorWeight } : {}) },
              clock.now(),
            );
            if (plan instanceof InvalidSearch || plan instanceof SearchModeUnavailable) return yield* Effect.fail(plan);
            // Read your writes: a search sees every event appended before it started, unless the read models are stuck.
            const asOfPosition = plan.asOf && "position" in plan.asOf ? plan.asOf.position : undefined;
            const caughtUp =
              asOfPosition !== undefined ? yield* Effect.flatMap(eventStore.headPosition(), (head) => Effect.promise(() => runner.waitFor(Math.min(asOfPosition, head), consistencyTimeoutMs))) : yield* catchUp(consistencyTimeoutMs);
            const lags = caughtUp ? [] : yield* Effect.promise(() => runner.lag());
            const memoryView = yield* requiredStore<MemoryViewStore>(memoryViewReadModel);
            const lexical = yield* requiredStore<LexicalStore>(lexicalReadModel);
            // The graph and the vectors may live on servers: when one is down, hybrid search goes on without it and says so.
            const degraded: { readModel: string; error: string }[] = [];
            const onDegraded = (readModel: string, error: unknown) => degraded.push({ readModel, error: error instanceof Error ? error.message : String(error) });
            let rerankCost: RerankCost | undefined;
            const onReranked = (cost: RerankCost) => {
              rerankCost = cost;
              options.onRerankSeconds?.(cost.ms / 1000);
            };
            const optionalStore = <S extends ReadModelStore>(name: string): S | undefined => {
              try {
                return runner.store<S>(name);
              } catch (error) {
                if (!(error instanceof ReadModelUnavailable)) throw error;
                onDegraded(name, error);
                return undefined;
              }
            };
            const graph = plan.mode === "hybrid" ? optionalStore<GraphReadModel>(graphReadModel) : undefined;
            const vector = embedding && plan.mode !== "bm25" ? optionalStore<VectorReadModel>(vectorReadModel) : undefined;
            // The read models' checkpoints: an answer computed at the same ones is still the answer.
            const state = [memoryView, lexical, graph, vector].map((store) => store?.checkpoint() ?? "-").join(":");
            const requestKey = JSON.stringify(plan);
            const cached = caughtUp && degraded.length === 0 ? answers.get(state, requestKey) : undefined;
            if (cached) return yield* Effect.as(yieldToEventLoop, cached); // a turn even for a hit: a burst of hits must not starve I/O either
            if (plan.mode === "vector" && vector === undefined) {
              return yield* Effect.fail(new ReadModelEngineUnavailable({ readModel: vectorReadModel, message: `vector search cannot run: ${degraded[0]?.error ?? "no vector read model"}; use mode "hybrid" or "bm25" meanwhile` }));
            }
            // The query's vector first, outside the gate: waiting for the embedder must not keep other searches out.
            if (embedding && vector) yield* Effect.promise(() => embedding.queryEmbedder.embed([plan.query]).catch(() => undefined));
            const gatedSearch = Effect.tryPromise({
              try: () =>
                hybridSearch(
                  {
                    memoryView,
                    lexical,
                    ...(graph ? { graph } : {}),
                    ...(embedding && vector ? { vector, queryEmbedder: embedding.queryEmbedder } : {}),
                    ...(reranker ? { reranker, onReranked, ...(rerankTopN !== undefined ? { rerankTopN } : {}) } : {}),
                    onDegraded,
                  },
                  plan,
                ),
              catch: (error) => error,
            });
            const results = yield* searchGate.withPermits(1)(Effect.zipRight(yieldToEventLoop, gatedSearch)).pipe(
              // The embedder's typed failures reach the caller (503/502), and so do a vector-only search whose engine failed and a
              // required read model found damaged mid-query (it is being rebuilt); anything else is a defect.
              Effect.catchAll((error): Effect.Effect<never, EmbedderUnavailable | EmbeddingFailed | ReadModelEngineUnavailable | ReadModelUnavailable> =>
                error instanceof EmbedderUnavailable || error instanceof EmbeddingFailed || error instanceof ReadModelEngineUnavailable || error instanceof ReadModelUnavailable
                  ? Effect.fail(error)
                  : Effect.die(error),
              ),
            );
            const behind = Math.max(0, ...lags.map((l) => l.behind));
            // A fact a later one contradicted (metadata.validUntil, src/memoryDecisions/) ranks after the facts still valid at the moment searched.
            const validAt = plan.asOf !== undefined && "time" in plan.asOf ? plan.asOf.time : clock.now().toISOString();
            const response = {
              mode: plan.mode,
              results: rankStillValidFirst(results, (hit) => hit.memory.content?.metadata, validAt),
              asOf: plan.asOf ?? { position: memoryView.checkpoint() },
              ...(behind > 0 ? { behind } : {}),
              ...(degraded.length > 0 ? { degraded } : {}),
              ...(rerankCost ? { rerank: rerankCost } : {}),
              ...(plan.time ? { time: { expression: plan.time.expression, from: plan.time.from, to: plan.time.to, use: plan.time.use } } : {}),
            } satisfies SearchResponse;
            const stateAfter = [memoryView, lexical, graph, vector].map((store) => store?.checkpoint() ?? "-").join(":");
            if (caughtUp && degraded.length === 0 && stateAfter === state) answers.put(state, requestKey, response);
            return response;
          }),
        list: (query) =>
          Effect.flatMap(catchUp(consistencyTimeoutMs), () =>
            Effect.flatMap(requiredStore<MemoryViewStore>(memoryViewReadModel), (memoryView) =>
              Effect.try({ try: () => memoryView.list(query), catch: (error) => error }).pipe(
                Effect.catchAll((error) => (error instanceof ReadModelUnavailable ? Effect.fail(error) : Effect.die(error))),
              ),
            ),
          ),
        lag: () => Effect.promise(() => runner.lag()),
        rebuild: (name) =>
          known.includes(name)
            ? Effect.tryPromise({ try: () => runner.rebuild(name), catch: (error) => error }).pipe(
                Effect.catchAll((error) => (error instanceof ReadModelUnavailable ? Effect.fail(error) : Effect.die(error))),
              )
            : Effect.fail(new InvalidSearch({ field: "name", message: `no read model named ${name}; known: ${known.join(", ")}` })),
        catchUp,
        forgetCachedAnswers: () => Effect.sync(() => answers.clear()),
        readModel: <S extends ReadModelStore>(name: string) => Effect.flatMap(catchUp(consistencyTimeoutMs), () => requiredStore<S>(name)),
        health: (timeoutMs) => Effect.promise(() => Promise.all(engines.probes.map((probe) => runProbe(probe, timeoutMs)))),
      });
    }),
  );
}

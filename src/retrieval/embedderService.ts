import { Context, Effect, Layer } from "effect";
import { join } from "node:path";
import { cachedEmbedder, openEmbeddingCache, type EmbeddingCache } from "../embedding/embeddingCache.js";
import type { Embedder } from "../embedding/embedderPort.js";
import { readModelSettings } from "../embedding/modelManifest.js";
import { queryVectorCache } from "../embedding/queryVectorCache.js";

export type EmbedderConfig =
  | { readonly kind: "none" }
  | { readonly kind: "onnx"; readonly modelDir: string; readonly batchSize?: number; readonly idleMs?: number }
  | { readonly kind: "openai"; readonly baseURL: string; readonly model: string; readonly apiKey?: string; readonly dimensions?: number };

/** The configured embedder behind the embedding cache, or none (search is then BM25 + graph only). */
export interface Embedding {
  /** For memory contents: answers from the on-disk embedding cache first, stores what it computes. */
  readonly embedder: Embedder;
  /** For search queries: the same model behind an in-memory cache of recent queries; never writes to disk. */
  readonly queryEmbedder: Embedder;
  readonly cache: EmbeddingCache;
  /** The vector list's weight in hybrid search when a request sets none: the model's manifest says (undefined: the search default). */
  readonly searchVectorWeight?: number;
}

export class EmbedderService extends Context.Tag("memledger/Embedder")<EmbedderService, Embedding | undefined>() {}

/** Opens the embedder for the application's lifetime; the cache lives in the data directory (`embeddings.db`). */
export function layerEmbedder(config: EmbedderConfig | undefined, dataDir: string) {
  if (config === undefined || config.kind === "none") return Layer.succeed(EmbedderService, undefined);
  return Layer.scoped(
    EmbedderService,
    Effect.acquireRelease(
      Effect.promise(async (): Promise<Embedding> => {
        const raw =
          config.kind === "onnx"
            ? // Inference runs in a worker thread, fed by the micro-batcher: the event loop stays free and concurrent requests share runs.
              (await import("../embedding/microBatchingEmbedder.js")).microBatchingEmbedder(
                await (await import("../embedding/workerEmbedder.js")).openWorkerEmbedder({
                  modelDir: config.modelDir,
                  ...(config.batchSize ? { batchSize: config.batchSize } : {}),
                  ...(config.idleMs !== undefined ? { idleMs: config.idleMs } : {}),
                }),
              )
            : await (await import("../embedding/openAiEmbedder.js")).openOpenAiEmbedder({
                baseURL: config.baseURL,
                model: config.model,
                ...(config.apiKey ? { apiKey: config.apiKey } : {}),
                ...(config.dimensions ? { dimensions: config.dimensions } : {}),
              });
        const cache = openEmbeddingCache(join(dataDir, "embeddings.db"));
        const searchVectorWeight = config.kind === "onnx" ? readModelSettings(config.modelDir, config.modelDir).searchVectorWeight : undefined;
        return { embedder: cachedEmbedder(raw, cache), queryEmbedder: queryVectorCache(raw), cache, ...(searchVectorWeight !== undefined ? { searchVectorWeight } : {}) };
      }),
      (embedding) =>
        Effect.promise(async () => {
          await embedding.embedder.close();
          embedding.cache.close();
        }),
    ),
  );
}

import type { GraphEntityExtraction } from "../../projections/graph.js";
import type { ContextualIndexSettings } from "../contextualIndex/contextualIndexSettings.js";
import type { Embedder } from "../embedding/embedderPort.js";
import type { EmbeddingCache } from "../embedding/embeddingCache.js";
import type { EngineProbe } from "../health/engineHealth.js";
import { embeddedReadModels, graphReadModel } from "./embeddedReadModels.js";
import type { ReadModelDefinition } from "./projectionRunner.js";
import { vectorReadModel } from "./vector/vectorReadModel.js";

/** Where the graph read model lives. */
export type GraphStoreConfig =
  | { readonly kind: "sqlite" }
  | {
      readonly kind: "neo4j";
      readonly url: string;
      readonly username?: string;
      readonly password?: string;
      readonly database?: string;
      /**
       * Names this deployment's graph inside the database (default `memledger`), so two
       * deployments, or a test run and a deployment, can share one Neo4j without mixing.
       */
      readonly namespace?: string;
    };

/** Where the vector read model lives (it exists only with an embedder). */
export type VectorStoreConfig =
  | { readonly kind: "sqlite" }
  | { readonly kind: "qdrant"; readonly url: string; readonly apiKey?: string; readonly collectionPrefix?: string };

export interface ReadModelEngineConfig {
  readonly graph?: GraphStoreConfig;
  readonly vector?: VectorStoreConfig;
  /** Which session neighbours a turn's full-text entry holds (src/contextualIndex/); the default when absent. */
  readonly contextualIndex?: ContextualIndexSettings;
  /** How the embedded graph finds names in text: capitalised runs (default) or typed NLP entities (projections/namedEntities.ts). */
  readonly graphEntities?: GraphEntityExtraction;
}

/** The read models to run, how to check the servers some of them live on, and how to let go of those connections. */
export interface ReadModelEngines {
  readonly definitions: readonly ReadModelDefinition[];
  readonly probes: readonly EngineProbe[];
  close(): Promise<void>;
}

/**
 * The read models of this deployment: the memory view and full text always
 * embedded (each server folds its own from the shared log: they are cheap to
 * rebuild and every query reads them), the graph and the vectors embedded or
 * on Neo4j / Qdrant. Server adapters load lazily, so the embedded profile
 * never touches their drivers.
 */
export async function readModelEngines(config: ReadModelEngineConfig, embedding?: { readonly embedder: Embedder; readonly cache: EmbeddingCache }): Promise<ReadModelEngines> {
  const definitions = embeddedReadModels(embedding, {
    ...(config.contextualIndex ? { contextualIndex: config.contextualIndex } : {}),
    ...(config.graphEntities ? { graphEntities: config.graphEntities } : {}),
  });
  const embedded = (role: string): EngineProbe => ({ role, engine: "sqlite", check: async () => "embedded" });
  const probes: EngineProbe[] = [embedded(graphReadModel), ...(embedding ? [embedded(vectorReadModel)] : [])];
  const closers: Array<() => Promise<void>> = [];
  /** Puts a server-side read model, and the probe of its server, in place of the embedded one. */
  const onServer = (definition: ReadModelDefinition, probe: EngineProbe, close: () => Promise<void>) => {
    definitions[definitions.findIndex((d) => d.name === definition.name)] = definition;
    probes[probes.findIndex((p) => p.role === definition.name)] = probe;
    closers.push(close);
  };

  if (config.graph?.kind === "neo4j") {
    const { neo4jGraphReadModel } = await import("./graph/neo4jGraphStore.js");
    const neo4j = neo4jGraphReadModel(config.graph);
    onServer(neo4j, { role: graphReadModel, engine: "neo4j", check: () => neo4j.health() }, () => neo4j.close());
  }
  if (embedding && config.vector?.kind === "qdrant") {
    const { qdrantVectorReadModel } = await import("./vector/qdrantVectorStore.js");
    const qdrant = qdrantVectorReadModel({ ...config.vector, embedder: embedding.embedder, onErasedContent: (hashes) => embedding.cache.deleteByHashes(hashes) });
    onServer(qdrant, { role: vectorReadModel, engine: "qdrant", check: () => qdrant.health() }, () => qdrant.close());
  }
  return {
    definitions,
    probes,
    close: async () => {
      for (const close of closers) await close().catch(() => undefined);
    },
  };
}

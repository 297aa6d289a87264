import type { GraphEntityExtraction } from "../../projections/graph.js";
import type { ContextualIndexSettings } from "../contextualIndex/contextualIndexSettings.js";
import type { Embedder } from "../embedding/embedderPort.js";
import type { EmbeddingCache } from "../embedding/embeddingCache.js";
import { openSqliteGraphStore } from "./graph/sqliteGraphStore.js";
import { lexicalReadModel, openSqliteLexicalStore } from "./lexical/sqliteLexicalStore.js";
import { memoryViewReadModel, openSqliteMemoryViewStore } from "./memoryView/sqliteMemoryViewStore.js";
import type { ReadModelDefinition } from "./projectionRunner.js";
import { startSqliteIntegrityCheck } from "./sqliteIntegrityCheck.js";
import { complianceReadModel, openComplianceStore } from "./compliance/complianceReadModel.js";
import { openSqliteVectorStore, vectorReadModel } from "./vector/sqliteVectorStore.js";

export const graphReadModel = "graph";

/**
 * The embedded read models, in one place for the application, the tests and
 * the benchmarks: memory view, full text and graph always; vectors when an
 * embedder is configured (erasing content also drops its cached embeddings).
 * Each file is checked for damage when it opens (a damaged one is rebuilt).
 */
export function embeddedReadModels(
  embedding?: { readonly embedder: Embedder; readonly cache: EmbeddingCache },
  options: { readonly contextualIndex?: ContextualIndexSettings; readonly graphEntities?: GraphEntityExtraction } = {},
): ReadModelDefinition[] {
  const lexicalOptions = options.contextualIndex ? { context: options.contextualIndex } : {};
  const definitions: ReadModelDefinition[] = [
    { name: memoryViewReadModel, open: openSqliteMemoryViewStore, checkIntegrity: startSqliteIntegrityCheck },
    { name: lexicalReadModel, open: (file) => openSqliteLexicalStore(file, lexicalOptions), checkIntegrity: startSqliteIntegrityCheck },
    { name: graphReadModel, open: (file) => openSqliteGraphStore(file, options.graphEntities ? { entities: options.graphEntities } : {}), checkIntegrity: startSqliteIntegrityCheck },
    { name: complianceReadModel, open: openComplianceStore, checkIntegrity: startSqliteIntegrityCheck },
  ];
  if (embedding) {
    definitions.push({
      name: vectorReadModel,
      open: (file) => openSqliteVectorStore(file, embedding.embedder, { onErasedContent: (hashes) => embedding.cache.deleteByHashes(hashes) }),
      // A rebuild with the same model adopts the previous generation's HNSW graph when it checks out against the new table.
      openReplacing: (file, previousGeneration) =>
        openSqliteVectorStore(file, embedding.embedder, { onErasedContent: (hashes) => embedding.cache.deleteByHashes(hashes), previousGeneration }),
      companionFiles: (file) => [`${file}.ann`, `${file}.ann.meta.json`],
      // The HNSW file needs no check here: it is verified against its sha256 on load and rebuilt from the table if it differs.
      checkIntegrity: startSqliteIntegrityCheck,
    });
  }
  return definitions;
}

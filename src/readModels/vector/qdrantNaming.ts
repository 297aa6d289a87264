import { basename } from "node:path";

/**
 * Names of what the Qdrant vector read model keeps on the server. One
 * collection per generation and embedding model,
 * `<prefix>_<model>_<dimensions>_<generation>`, and one alias per model,
 * `<prefix>_<model>_<dimensions>`, pointing at the generation readers use.
 * The generation comes from the projection runner's file name for it
 * (`…/vector-3.db` is generation 3).
 */
export const defaultCollectionPrefix = "memledger_vectors";

/** Same rule as MEMLEDGER_QDRANT_COLLECTION_PREFIX in config.ts. */
export function assertCollectionPrefix(prefix: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(prefix)) {
    throw new Error(`Qdrant collection prefix "${prefix}" may hold letters, digits, '_' and '-' only (1 to 64 of them)`);
  }
}

/**
 * A model id as it may appear in a collection name: lower case, runs of
 * anything but letters, digits and '-' become one '_'. Different ids can
 * sanitise alike ("a/b", "a_b"); the collection's checkpoint point records
 * the exact id, and a mismatch is treated as a model change.
 */
export function sanitiseModelId(modelId: string): string {
  const sanitised = modelId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 100);
  return sanitised.length > 0 ? sanitised : "model";
}

/** The generation a runner file names: `vector-3.db` (or `vector-3`) is 3. */
export function generationOf(file: string): number {
  const base = basename(file).replace(/\.db$/, "");
  const match = /-(\d+)$/.exec(base);
  if (!match) throw new Error(`the Qdrant vector read model needs a generation file named like "vector-3.db", not "${file}"`);
  return Number(match[1]);
}

export function modelAlias(prefix: string, modelId: string, dimensions: number): string {
  return `${prefix}_${sanitiseModelId(modelId)}_${dimensions}`;
}

export interface QdrantVectorNames {
  readonly generation: number;
  readonly collection: string;
  readonly alias: string;
}

export function qdrantVectorNames(prefix: string, modelId: string, dimensions: number, file: string): QdrantVectorNames {
  const generation = generationOf(file);
  const alias = modelAlias(prefix, modelId, dimensions);
  return { generation, alias, collection: `${alias}_${generation}` };
}

/**
 * Whether a collection name has the shape of a collection of this prefix and
 * generation for some model. Only a candidate: a longer prefix that starts
 * with this one matches too, so callers confirm with the checkpoint point.
 */
export function looksLikeGenerationCollection(prefix: string, generation: number, name: string): boolean {
  return new RegExp(`^${escapeRegExp(prefix)}_.+_\\d+_${generation}$`).test(name);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

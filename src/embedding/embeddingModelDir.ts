import { resolve } from "node:path";

/** Where scripts/fetch-embedding-model.sh puts the model by default, relative to the repository root. */
export const defaultEmbeddingModelDir = ".cache/models/all-MiniLM-L6-v2";

/** The model directory to load: MEMLEDGER_EMBEDDING_MODEL_DIR if set, else the fetch script's default under `baseDir`. */
export function resolveEmbeddingModelDir(env: NodeJS.ProcessEnv = process.env, baseDir: string = process.cwd()): string {
  const configured = env.MEMLEDGER_EMBEDDING_MODEL_DIR?.trim();
  return resolve(baseDir, configured ? configured : defaultEmbeddingModelDir);
}

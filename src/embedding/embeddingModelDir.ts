import { resolve } from "node:path";

/** Where scripts/fetch-embedding-model.sh puts the model by default, relative to the repository root. */
export const defaultEmbeddingModelDir = ".cache/models/all-MiniLM-L6-v2";

/** The local models memledger knows by name (MEMLEDGER_EMBEDDING_MODEL), where their fetch script puts them, and the script. */
export const namedEmbeddingModels: Readonly<Record<string, { readonly dir: string; readonly fetch: string }>> = {
  "all-MiniLM-L6-v2": { dir: defaultEmbeddingModelDir, fetch: "scripts/fetch-embedding-model.sh" },
  "bge-small-en-v1.5": { dir: ".cache/models/bge-small-en-v1.5", fetch: "scripts/fetch-bge-model.sh" },
  "bge-small-en-v1.5-q": { dir: ".cache/models/bge-small-en-v1.5-q", fetch: "scripts/fetch-bge-model.sh q" },
  "bge-small-zh-v1.5": { dir: ".cache/models/bge-small-zh-v1.5", fetch: "scripts/fetch-chinese-embedding-model.sh" },
};

/** MEMLEDGER_EMBEDDING_MODEL names no local model, or contradicts MEMLEDGER_EMBEDDING_MODEL_DIR. */
export class EmbeddingModelNameInvalid extends Error {}

/**
 * The model directory to load: MEMLEDGER_EMBEDDING_MODEL_DIR if set, else the directory of the model
 * MEMLEDGER_EMBEDDING_MODEL names (for the local embedder; with MEMLEDGER_EMBEDDER=openai it is the
 * server's model name instead), else the default fetch script's directory, under `baseDir`.
 */
export function resolveEmbeddingModelDir(env: NodeJS.ProcessEnv = process.env, baseDir: string = process.cwd()): string {
  const configured = env.MEMLEDGER_EMBEDDING_MODEL_DIR?.trim();
  const name = env.MEMLEDGER_EMBEDDER?.trim() === "openai" ? undefined : env.MEMLEDGER_EMBEDDING_MODEL?.trim() || undefined;
  if (name !== undefined) {
    const known = namedEmbeddingModels[name];
    if (known === undefined) {
      throw new EmbeddingModelNameInvalid(
        `MEMLEDGER_EMBEDDING_MODEL="${name}" is not a local model memledger knows (${Object.keys(namedEmbeddingModels).join(", ")}); for another ONNX model set MEMLEDGER_EMBEDDING_MODEL_DIR to its directory instead`,
      );
    }
    if (configured && resolve(baseDir, configured) !== resolve(baseDir, known.dir)) {
      throw new EmbeddingModelNameInvalid(`MEMLEDGER_EMBEDDING_MODEL="${name}" and MEMLEDGER_EMBEDDING_MODEL_DIR="${configured}" name different models; set only one of them`);
    }
    return resolve(baseDir, known.dir);
  }
  return resolve(baseDir, configured ? configured : defaultEmbeddingModelDir);
}

/** How to get the model that belongs in `modelDir`: its own fetch script when it is a named model's directory. */
export function fetchAdviceFor(modelDir: string, baseDir: string = process.cwd()): string {
  const named = Object.values(namedEmbeddingModels).find((model) => resolve(baseDir, model.dir) === resolve(modelDir));
  return named?.fetch ?? "scripts/fetch-embedding-model.sh";
}

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** Where scripts/fetch-embedding-model.sh puts all-MiniLM-L6-v2, relative to the repository root (the test suite's model). */
export const miniLmModelDir = ".cache/models/all-MiniLM-L6-v2";

/** Where `npm run fetch-model` (scripts/fetch-bge-model.sh q) puts the default model: bge-small-en-v1.5, int8. */
export const defaultEmbeddingModelDir = ".cache/models/bge-small-en-v1.5-q";

/** The local models memledger knows by name (MEMLEDGER_EMBEDDING_MODEL), where their fetch script puts them, and the script. */
export const namedEmbeddingModels: Readonly<Record<string, { readonly dir: string; readonly fetch: string }>> = {
  "all-MiniLM-L6-v2": { dir: miniLmModelDir, fetch: "scripts/fetch-embedding-model.sh" },
  "bge-small-en-v1.5": { dir: ".cache/models/bge-small-en-v1.5", fetch: "scripts/fetch-bge-model.sh" },
  "bge-small-en-v1.5-q": { dir: defaultEmbeddingModelDir, fetch: "scripts/fetch-bge-model.sh q" },
  "bge-small-zh-v1.5": { dir: ".cache/models/bge-small-zh-v1.5", fetch: "scripts/fetch-chinese-embedding-model.sh" },
};

/** MEMLEDGER_EMBEDDING_MODEL names no local model, or contradicts MEMLEDGER_EMBEDDING_MODEL_DIR. */
export class EmbeddingModelNameInvalid extends Error {}

/**
 * Searched in order when nothing names a model: the default (bge-small-en-v1.5 int8, the best measured on
 * the LoCoMo dev set), then all-MiniLM-L6-v2, the default before it, so a data directory set up with
 * MiniLM keeps its vectors until the new default is fetched (which then re-embeds in the background).
 */
const unnamedModelDirs: readonly string[] = [defaultEmbeddingModelDir, miniLmModelDir];

/** The ONNX file of a model directory: `model.onnx`, or `onnx/model.onnx` as Hugging Face exports lay it out; undefined when neither is there. */
export function onnxModelFileIn(dir: string): string | undefined {
  return [join(dir, "model.onnx"), join(dir, "onnx", "model.onnx")].find((path) => existsSync(path));
}

const holdsModel = (dir: string) => onnxModelFileIn(dir) !== undefined;

/**
 * The model directory to load: MEMLEDGER_EMBEDDING_MODEL_DIR if set, else the directory of the model
 * MEMLEDGER_EMBEDDING_MODEL names (for the local embedder; with MEMLEDGER_EMBEDDER=openai it is the
 * server's model name instead), else the first of the default model's and MiniLM's directories that
 * holds a model (the default's when neither does), under `baseDir`.
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
  if (configured) return resolve(baseDir, configured);
  const candidates = unnamedModelDirs.map((dir) => resolve(baseDir, dir));
  return candidates.find(holdsModel) ?? candidates[0]!;
}

/** How to get the model that belongs in `modelDir`: its own fetch script when it is a named model's directory. */
export function fetchAdviceFor(modelDir: string, baseDir: string = process.cwd()): string {
  const named = Object.values(namedEmbeddingModels).find((model) => resolve(baseDir, model.dir) === resolve(modelDir));
  return named?.fetch ?? "npm run fetch-model";
}

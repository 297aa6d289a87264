import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * BAAI/bge-small-zh-v1.5 for tests and the Chinese retrieval eval: MEMLEDGER_ZH_EMBEDDING_MODEL_DIR
 * if set, else .cache/models/bge-small-zh-v1.5, fetched on first use by
 * scripts/fetch-chinese-embedding-model.sh (Maven Central, 55 MB, about 15 s).
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const defaultChineseEmbeddingModelDir = join(repoRoot, ".cache", "models", "bge-small-zh-v1.5");
const fetchScript = join(repoRoot, "scripts", "fetch-chinese-embedding-model.sh");

export type ChineseModel = { readonly modelDir: string } | { readonly modelDir?: undefined; readonly absentBecause: string };

let ensured: Promise<ChineseModel> | undefined;

/** The model directory, fetched when missing; or why it cannot be had here (no Maven, no network), for a test to skip with. */
export function ensureChineseEmbeddingModel(): Promise<ChineseModel> {
  ensured ??= ensure();
  return ensured;
}

const isComplete = (dir: string) => ["model.onnx", "tokenizer.json", "memledger-model.json"].every((file) => existsSync(join(dir, file)));

async function ensure(): Promise<ChineseModel> {
  const configured = process.env.MEMLEDGER_ZH_EMBEDDING_MODEL_DIR?.trim();
  if (configured) {
    const dir = resolve(configured);
    return isComplete(dir) ? { modelDir: dir } : { absentBecause: `MEMLEDGER_ZH_EMBEDDING_MODEL_DIR=${dir} has no model.onnx, tokenizer.json and memledger-model.json` };
  }
  const dir = defaultChineseEmbeddingModelDir;
  if (isComplete(dir)) return { modelDir: dir };
  try {
    await promisify(execFile)("bash", [fetchScript, dir], { cwd: repoRoot, timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    // Another process may have fetched it at the same moment (its rename won); otherwise report why.
    if (isComplete(dir)) return { modelDir: dir };
    const { stderr = "" } = error as { stderr?: string };
    return { absentBecause: `scripts/fetch-chinese-embedding-model.sh could not fetch bge-small-zh-v1.5 (${stderr.trim().split("\n").pop() ?? String(error)})` };
  }
  return { modelDir: dir };
}

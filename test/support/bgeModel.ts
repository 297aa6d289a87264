import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * BAAI/bge-small-en-v1.5 for tests: .cache/models/bge-small-en-v1.5 (or -q), unpacked on
 * first use from the pinned Maven jar by scripts/fetch-bge-model.sh (a few seconds when
 * the jar is in ~/.m2, else a 78 MB download).
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function ensureBgeModel(variant: "fp32" | "q" = "fp32"): Promise<string> {
  const modelDir = join(repoRoot, ".cache", "models", variant === "q" ? "bge-small-en-v1.5-q" : "bge-small-en-v1.5");
  if (existsSync(join(modelDir, "model.onnx")) && existsSync(join(modelDir, "memledger-model.json"))) return modelDir;
  try {
    await promisify(execFile)("bash", [join(repoRoot, "scripts", "fetch-bge-model.sh"), variant, modelDir], { timeout: 15 * 60_000 });
  } catch (error) {
    throw new Error(`scripts/fetch-bge-model.sh ${variant} failed, so the bge tests have no model: ${String(error)}`);
  }
  return modelDir;
}

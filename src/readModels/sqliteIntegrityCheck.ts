import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { ReadModelFileDamaged } from "./readModelDamage.js";

/** The outcome of checking one read-model file; `damage` is set when the file is damaged. */
export interface IntegrityVerdict {
  readonly damage?: ReadModelFileDamaged;
}

/** An integrity check under way: its verdict, and a way to abandon it (the runner stops). */
export interface IntegrityCheck {
  readonly verdict: Promise<IntegrityVerdict>;
  cancel(): void;
}

/** How many problems quick_check reports before it stops: enough to tell damage, bounded output. */
const maxProblems = 10;

// Plain CommonJS evaluated in the worker, so it runs the same from sources (vitest) and from dist/.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  const rows = db.pragma("quick_check(" + workerData.maxProblems + ")", { simple: false });
  parentPort.postMessage({ problems: rows.map((row) => String(Object.values(row)[0])).filter((line) => line !== "ok") });
} catch (error) {
  parentPort.postMessage({ failure: String(error && error.message ? error.message : error), code: error && error.code });
} finally {
  if (db && db.open) db.close();
}
`;

const driver = createRequire(import.meta.url).resolve("better-sqlite3");

/**
 * Runs `PRAGMA quick_check` on a read model's SQLite file in a worker thread,
 * on its own read-only connection, so a large file never blocks the event loop
 * and the caller can stop waiting after a budget while the check goes on.
 * quick_check reads every page and checks the b-trees (not index contents):
 * about 1 s per 200 MB here (docs/benchmarks.md). A file SQLite refuses to open
 * as a database is damaged too; any other failure (a missing file, a lock) is
 * no verdict, and the store's own open decides.
 */
export function startSqliteIntegrityCheck(file: string): IntegrityCheck {
  const worker = new Worker(workerSource, { eval: true, workerData: { file, driver, maxProblems } });
  worker.unref();
  const verdict = new Promise<IntegrityVerdict>((resolve) => {
    worker.once("message", (message: { problems?: string[]; failure?: string; code?: string }) => {
      if (message.problems && message.problems.length > 0) resolve({ damage: new ReadModelFileDamaged(file, message.problems) });
      else if (message.failure && (message.code === "SQLITE_NOTADB" || message.code?.startsWith("SQLITE_CORRUPT"))) resolve({ damage: new ReadModelFileDamaged(file, [`${message.code}: ${message.failure}`]) });
      else resolve({});
    });
    worker.once("error", () => resolve({}));
    worker.once("exit", () => resolve({}));
  });
  return { verdict, cancel: () => void worker.terminate().catch(() => undefined) };
}

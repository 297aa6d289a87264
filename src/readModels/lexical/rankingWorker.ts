import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** One ranked row as SQLite returns it: [content position, BM25 score]. */
export type RankedRow = readonly [number, number];

/**
 * A second thread that runs read-only ranking statements on a read model's SQLite file, so that
 * hybrid search can rank BM25 there while the vector lane runs on the event loop (on a 2-core
 * machine the two overlap instead of adding up). The thread has its own read-only connection:
 * WAL mode lets it read committed state while the store writes, and the store's erasure purge
 * (`wal_checkpoint(TRUNCATE)`) waits for its read to finish before it truncates the log.
 *
 * `close()` ends the thread and with it the connection, so a generation's file that is deleted
 * (a rebuild replaced it, an erasure purged it) is not kept alive by an open descriptor.
 */
export interface RankingWorker {
  /** Rows of `sql` (one statement, two parameters: the MATCH expression and a limit), read on the worker's connection. */
  rank(sql: string, match: string, limit: number): Promise<RankedRow[]>;
  close(): Promise<void>;
}

// Plain CommonJS evaluated in the worker, so it runs the same from sources (vitest) and from dist/
// (as in sqliteIntegrityCheck.ts). Statements are prepared once per SQL text.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");
const statements = new Map();
parentPort.on("message", (request) => {
  try {
    let statement = statements.get(request.sql);
    if (statement === undefined) {
      statement = db.prepare(request.sql).raw(true);
      statements.set(request.sql, statement);
    }
    parentPort.postMessage({ id: request.id, rows: statement.all(request.match, request.limit) });
  } catch (error) {
    parentPort.postMessage({ id: request.id, failure: String(error && error.message ? error.message : error) });
  }
});
`;

const driver = createRequire(import.meta.url).resolve("better-sqlite3");

export function startRankingWorker(file: string): RankingWorker {
  const worker = new Worker(workerSource, { eval: true, workerData: { file, driver } });
  // An idle ranking thread must not keep the process alive.
  worker.unref();
  const waiting = new Map<number, { resolve: (rows: RankedRow[]) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let ended: Error | undefined;
  const failAll = (error: Error) => {
    ended ??= error;
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  worker.on("message", (reply: { id: number; rows?: RankedRow[]; failure?: string }) => {
    const request = waiting.get(reply.id);
    if (request === undefined) return;
    waiting.delete(reply.id);
    if (reply.failure !== undefined) request.reject(new Error(`ranking on ${file} failed: ${reply.failure}`));
    else request.resolve(reply.rows ?? []);
  });
  worker.on("error", (error) => failAll(error instanceof Error ? error : new Error(String(error))));
  worker.on("exit", () => failAll(new Error(`the ranking thread for ${file} has ended`)));
  return {
    rank: (sql, match, limit) => {
      if (ended !== undefined) return Promise.reject(ended);
      const id = (nextId += 1);
      return new Promise<RankedRow[]>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, sql, match, limit });
      });
    },
    close: async () => {
      failAll(new Error(`the ranking thread for ${file} was closed`));
      await worker.terminate();
    },
  };
}

import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** What the structural check of the log file found. */
export type IntegrityFinding =
  | { readonly kind: "intact"; readonly seconds: number }
  | {
      readonly kind: "damaged";
      /** SQLite's own words (`PRAGMA quick_check`), then where the event rows stop reading back. */
      readonly finding: string;
      /** The first log position that cannot be read, when the table itself is damaged. */
      readonly position?: number;
      readonly seconds: number;
    }
  /** The check could not run (the file is locked, the thread failed); not a verdict on the file. */
  | { readonly kind: "not_checked"; readonly reason: string; readonly seconds: number };

export interface RunningIntegrityCheck {
  readonly finding: Promise<IntegrityFinding>;
  /** Stops the check (closing the store); the promise then settles as not_checked. */
  cancel(): void;
}

/** How many of quick_check's complaints are kept; the first few say enough. */
const maxProblems = 10;

/**
 * `PRAGMA quick_check` (every page's structure, every record's format; not index contents, which the per-event
 * checksums and reads cover) on a read-only connection in a worker thread: the open does not block the event
 * loop, and a large log is checked in the background while the store serves. When it finds damage it scans
 * the events table in log order to name the first position that does not read back.
 */
export function startIntegrityCheck(path: string): RunningIntegrityCheck {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let worker: Worker | undefined;
  let settle: (finding: IntegrityFinding) => void = () => {};
  const finding = new Promise<IntegrityFinding>((resolve) => {
    settle = resolve;
  });
  try {
    worker = new Worker(workerSource, { eval: true, workerData: { path, driver: createRequire(import.meta.url).resolve("better-sqlite3"), maxProblems } });
    // A check still running must not keep a finished process alive.
    worker.unref();
    worker.once("message", (m: WorkerReport) => settle(toFinding(m, seconds())));
    worker.once("error", (error) => settle({ kind: "not_checked", reason: `the integrity check thread failed: ${error.message}`, seconds: seconds() }));
    worker.once("exit", () => settle({ kind: "not_checked", reason: "the integrity check was stopped before it finished", seconds: seconds() }));
  } catch (error) {
    settle({ kind: "not_checked", reason: `the integrity check could not start: ${error instanceof Error ? error.message : String(error)}`, seconds: seconds() });
  }
  return {
    finding,
    cancel: () => {
      void worker?.terminate();
    },
  };
}

type WorkerReport =
  | { readonly ok: true }
  | { readonly ok: false; readonly problems: readonly string[]; readonly lastReadable: number; readonly scanError?: string }
  | { readonly failed: string; readonly code?: string };

function toFinding(report: WorkerReport, seconds: number): IntegrityFinding {
  if ("failed" in report) {
    const damaged = report.code === "SQLITE_NOTADB" || report.code?.startsWith("SQLITE_CORRUPT") === true;
    return damaged
      ? { kind: "damaged", finding: `SQLite cannot read the file: ${report.failed} (${report.code})`, seconds }
      : { kind: "not_checked", reason: `the integrity check could not run: ${report.failed}${report.code ? ` (${report.code})` : ""}`, seconds };
  }
  if (report.ok) return { kind: "intact", seconds };
  const said = `PRAGMA quick_check reports: ${report.problems.join("; ")}`;
  if (report.scanError !== undefined) {
    return {
      kind: "damaged",
      finding: `${said}; the events after log position ${report.lastReadable} do not read back (${report.scanError})`,
      position: report.lastReadable + 1,
      seconds,
    };
  }
  return { kind: "damaged", finding: `${said}; every event row still reads back in log order, so the damage is in an index or in free pages`, seconds };
}

/** The worker's code: plain CommonJS, so it runs the same from TypeScript sources (tests) and from the build. */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const describe = (error) => String(error && error.message) + (error && error.code ? " (" + error.code + ")" : "");
const isDamage = (error) => Boolean(error && typeof error.code === "string" && /^SQLITE_(CORRUPT|NOTADB)/.test(error.code));
let db;
try {
  db = new Database(workerData.path, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  let problems;
  try {
    problems = db.prepare("PRAGMA quick_check(" + workerData.maxProblems + ")").pluck().all().map(String);
  } catch (error) {
    // quick_check itself stops on some damage (a garbled page header); that is a finding too.
    if (!isDamage(error)) throw error;
    problems = [describe(error)];
  }
  if (problems.length === 1 && problems[0] === "ok") {
    parentPort.postMessage({ ok: true });
  } else {
    let lastReadable = 0;
    let scanError;
    try {
      for (const position of db.prepare("SELECT position FROM events ORDER BY position").pluck().iterate()) lastReadable = position;
    } catch (error) {
      scanError = describe(error);
    }
    parentPort.postMessage(scanError === undefined ? { ok: false, problems, lastReadable } : { ok: false, problems, lastReadable, scanError });
  }
} catch (error) {
  parentPort.postMessage({ failed: String(error && error.message), code: error && error.code ? String(error.code) : undefined });
} finally {
  if (db && db.open) db.close();
}
`;

import Database from "better-sqlite3";

/**
 * What a job handler did to the outside world, in a SQLite file both the worker
 * process and the test read. Effects are keyed by job id and step, so applying
 * one again is a no-op (the idempotent handler the job bus asks for); runs are
 * plain appends, so they show every time a handler started.
 */
export interface JobEffects {
  /** True when this call applied the effect, false when it was already there. */
  applyOnce(jobId: string, step: string): boolean;
  recordRun(jobId: string, attempt: number, runner: string): void;
  effects(jobId: string): Array<{ step: string }>;
  runs(jobId: string): Array<{ attempt: number; runner: string }>;
  close(): void;
}

export function openJobEffects(path: string): JobEffects {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.exec(`
    CREATE TABLE IF NOT EXISTS effects (job_id TEXT NOT NULL, step TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, UNIQUE (job_id, step));
    CREATE TABLE IF NOT EXISTS runs (seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, attempt INTEGER NOT NULL, runner TEXT NOT NULL);
  `);
  const insertEffect = db.prepare("INSERT OR IGNORE INTO effects (job_id, step) VALUES (?, ?)");
  const insertRun = db.prepare("INSERT INTO runs (job_id, attempt, runner) VALUES (?, ?, ?)");
  const selectEffects = db.prepare<[string], { step: string }>("SELECT step FROM effects WHERE job_id = ? ORDER BY seq");
  const selectRuns = db.prepare<[string], { attempt: number; runner: string }>("SELECT attempt, runner FROM runs WHERE job_id = ? ORDER BY seq");
  return {
    applyOnce: (jobId, step) => insertEffect.run(jobId, step).changes === 1,
    recordRun: (jobId, attempt, runner) => void insertRun.run(jobId, attempt, runner),
    effects: (jobId) => selectEffects.all(jobId),
    runs: (jobId) => selectRuns.all(jobId),
    close: () => db.close(),
  };
}

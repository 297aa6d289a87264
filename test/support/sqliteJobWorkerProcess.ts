/**
 * An embedded (SQLite) job worker process for the restart tests. It prints
 * "WORKER <workerId>" once its worker runs, and for each job
 * "RUNNING <jobId> <attempt>" after it applied the job's first effect; then it
 * hangs (JOB_MODE=hang, for a SIGKILL mid-job) or finishes after JOB_HOLD_MS.
 * Usage: vite-node test/support/sqliteJobWorkerProcess.ts  (settings in the environment, see below)
 */
import { Effect } from "effect";
import { openSqliteJobBus } from "../../src/jobs/sqliteJobBus.js";
import { openJobEffects } from "./jobEffects.js";

const setting = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`sqliteJobWorkerProcess.ts needs ${name} in its environment`);
  return value;
};

const effects = openJobEffects(setting("JOB_EFFECTS_DB"));
const runner = setting("JOB_RUNNER");
const hang = setting("JOB_MODE") === "hang";
const holdMs = hang ? 0 : Number(setting("JOB_HOLD_MS"));
const bus = openSqliteJobBus({ path: setting("JOBS_DB"), leaseMs: Number(setting("JOB_LEASE_MS")), pollIntervalMs: 20 });
const worker = await Effect.runPromise(
  bus.startWorker({
    handlers: {
      [setting("JOB_KIND")]: async (job, context) => {
        effects.recordRun(job.jobId, context.attempt, runner);
        effects.applyOnce(job.jobId, "charge-card");
        process.stdout.write(`RUNNING ${job.jobId} ${context.attempt}\n`);
        if (hang) await new Promise(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, holdMs));
        effects.applyOnce(job.jobId, "send-receipt");
        return { by: runner };
      },
    },
  }),
);
process.stdout.write(`WORKER ${worker.workerId}\n`);

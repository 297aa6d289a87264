/**
 * How long a job waits after its worker process is killed (SIGKILL) mid-job and a
 * worker starts again on the same jobs.db: from the new worker's start to the
 * job's handler starting again. Cases, rounds interleaved:
 * - restart under the same name: takes back its predecessor's identity and jobs at once;
 * - baseline, same run: a worker under another name, which has only the lease to go
 *   by (how every restart behaved before worker identities), at the 5 s default lease;
 * - the 30 s lease the issue measured, one round (BENCH_TAKEOVER_OLD_LEASE=0 skips it).
 * Run: npx vite-node bench/workerTakeoverBench.ts     (BENCH_TAKEOVER_ROUNDS=3)
 */
import { Effect } from "effect";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultJobLeaseMs } from "../src/jobs/leaseDefaults.js";
import { openSqliteJobBus } from "../src/jobs/sqliteJobBus.js";
import { lineFrom } from "../test/support/childProcessOutput.js";
import { fmtMs, nowMs } from "./stats.js";

const rounds = Number(process.env.BENCH_TAKEOVER_ROUNDS ?? 3);
const withOldLease = process.env.BENCH_TAKEOVER_OLD_LEASE !== "0";
const viteNode = join(process.cwd(), "node_modules", ".bin", "vite-node");
const kind = "bench.takeover";
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);

/** Kills a worker process mid-job, then times a fresh worker (named `restartName`) until it starts the job again. */
async function takeover(leaseMs: number, restartName: string): Promise<number> {
  const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "memledger-takeover-"));
  const jobsPath = join(dir, "jobs.db");
  try {
    const bus = openSqliteJobBus({ path: jobsPath, leaseMs });
    const { job } = await run(bus.enqueue({ kind, key: "k", payload: {} }));
    const child = spawn(viteNode, [join("test", "support", "sqliteJobWorkerProcess.ts")], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, JOBS_DB: jobsPath, JOB_EFFECTS_DB: join(dir, "effects.db"), JOB_KIND: kind, JOB_LEASE_MS: String(leaseMs), JOB_MODE: "hang", JOB_RUNNER: "killed" },
    });
    await lineFrom(child, "RUNNING", 120_000);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    let startedAt = 0;
    const started = new Promise<void>((resolve) => {
      const t0 = nowMs();
      void run(
        bus.startWorker({
          workerName: restartName,
          handlers: {
            [kind]: async (j) => {
              if (j.jobId === job.jobId) (startedAt = nowMs() - t0), resolve();
            },
          },
        }),
      );
    });
    await started;
    await run(bus.close());
    return startedAt;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const same: number[] = [];
  const other: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    same.push(await takeover(defaultJobLeaseMs, "worker"));
    other.push(await takeover(defaultJobLeaseMs, "another-name"));
  }
  const old = withOldLease ? await takeover(30_000, "another-name") : undefined;
  const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const baseline = medianOf(other);
  console.log(`| restart after SIGKILL mid-job | job starts again after (median of ${rounds}) | each round | / baseline |`);
  console.log(`|---|---|---|---|`);
  console.log(`| same worker name: identity taken back | ${fmtMs(medianOf(same))} | ${same.map(fmtMs).join(", ")} | ${(medianOf(same) / baseline).toFixed(4)}× |`);
  console.log(`| baseline: another name, lease ${defaultJobLeaseMs} ms | ${fmtMs(baseline)} | ${other.map(fmtMs).join(", ")} | 1.00× |`);
  if (old !== undefined) console.log(`| another name, the old 30 s lease (1 round) | ${fmtMs(old)} | ${fmtMs(old)} | ${(old / baseline).toFixed(2)}× |`);
}

await main();

/**
 * A worker process for the crash test: opens the data directory with a worker
 * whose ingestion step hangs on the unit whose text is "hang here", after the
 * units before it were activated. The parent kills it with SIGKILL.
 * Usage: vite-node test/support/ingestionWorkerProcess.ts <dataDir>
 */
import { openMemLedger } from "../../src/app/memLedger.js";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: ingestionWorkerProcess.ts <dataDir>");

await openMemLedger({
  dataDir,
  // The lease the hardening issue measured (30 s): the parent's restart must take the job back without waiting for it.
  jobBus: { kind: "sqlite", leaseMs: 30_000, pollIntervalMs: 20 },
  ingestionSteps: [
    {
      name: "hang-on-marked-unit",
      run: async (unit) => {
        if (unit.content?.text !== "hang here") return;
        process.stdout.write("HANGING\n");
        await new Promise(() => undefined);
      },
    },
  ],
});
process.stdout.write("READY\n");

import { Effect } from "effect";
import type { JobBusPort, JobRecord } from "./jobBusPort.js";

const finished = (job: JobRecord) => job.status === "done" || job.status === "dead";

export interface WaitedJob {
  readonly job: JobRecord;
  /** False when the timeout passed first; `job` is then its latest status. */
  readonly finished: boolean;
}

/** Polls until the job is done or dead, or the timeout passes; the interval grows from 10 ms to 200 ms. */
export const waitForJob = (bus: JobBusPort, jobId: string, timeoutMs: number) =>
  Effect.gen(function* () {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    let interval = 10;
    for (;;) {
      const job = yield* bus.get(jobId);
      if (finished(job)) return { job, finished: true } satisfies WaitedJob;
      const left = deadline - Date.now();
      if (left <= 0) return { job, finished: false } satisfies WaitedJob;
      yield* Effect.sleep(Math.min(interval, left));
      interval = Math.min(200, interval * 2);
    }
  });

import { Data } from "effect";

export class JobNotFound extends Data.TaggedError("JobNotFound")<{ readonly jobId: string; readonly message: string }> {}

export const jobNotFound = (jobId: string): JobNotFound =>
  new JobNotFound({ jobId, message: `job ${jobId} does not exist; list a cube's jobs to find its id` });

export class JobNotRetriable extends Data.TaggedError("JobNotRetriable")<{ readonly jobId: string; readonly status: string; readonly message: string }> {}

export const jobNotRetriable = (jobId: string, status: string): JobNotRetriable =>
  new JobNotRetriable({ jobId, status, message: `job ${jobId} is ${status}; only dead jobs can be retried by hand` });

export class InvalidJob extends Data.TaggedError("InvalidJob")<{ readonly field: string; readonly message: string }> {}

/** The queue's storage or broker failed. Nothing was acknowledged; safe to retry. */
export class JobBusUnavailable extends Data.TaggedError("JobBusUnavailable")<{ readonly message: string; readonly cause?: unknown }> {}

import { Data } from "effect";

/** A processing step failed. The unit is kept (generated) with the error recorded on it. */
export class IngestionFailed extends Data.TaggedError("IngestionFailed")<{
  readonly memoryId: string;
  readonly jobId: string;
  readonly step: string;
  readonly message: string;
}> {}

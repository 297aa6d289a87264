import { Data } from "effect";

/** Errors a caller of the application can meet, each saying what failed, which id, and what to do. */
export class MemoryNotFound extends Data.TaggedError("MemoryNotFound")<{ readonly memoryId: string; readonly message: string }> {}
export const memoryNotFound = (memoryId: string, detail = "") =>
  new MemoryNotFound({ memoryId, message: `memory ${memoryId} does not exist${detail}; check the id (list a cube's memories to find it)` });

export class CubeNotFound extends Data.TaggedError("CubeNotFound")<{ readonly cubeId: string; readonly message: string }> {}
export const cubeNotFound = (cubeId: string) => new CubeNotFound({ cubeId, message: `cube ${cubeId} does not exist; create it first (POST /cubes)` });

export class CubeAlreadyExists extends Data.TaggedError("CubeAlreadyExists")<{ readonly cubeId: string; readonly message: string }> {}
export const cubeAlreadyExists = (cubeId: string) => new CubeAlreadyExists({ cubeId, message: `cube ${cubeId} already exists; pick another id or omit it to get a fresh one` });

/** A caller asked for an optimistic-concurrency check (If-Match / expectedRevision) that failed. */
export class RevisionMismatch extends Data.TaggedError("RevisionMismatch")<{
  readonly memoryId: string;
  readonly expected: number;
  readonly actual: number;
  readonly message: string;
}> {}
export const revisionMismatch = (memoryId: string, expected: number, actual: number) =>
  new RevisionMismatch({ memoryId, expected, actual, message: `memory ${memoryId} is at revision ${actual}, not ${expected}; re-read it and apply your change again` });

/** Bad input found outside the domain (ids, as-of selectors, ranges). */
export class InvalidRequest extends Data.TaggedError("InvalidRequest")<{ readonly field: string; readonly message: string }> {}
export const invalidRequest = (field: string, problem: string) => new InvalidRequest({ field, message: `${field} ${problem}` });

/** Concurrency retries ran out: the unit is written too hot. */
export class TooMuchContention extends Data.TaggedError("TooMuchContention")<{ readonly memoryId: string; readonly attempts: number; readonly message: string }> {}
export const tooMuchContention = (memoryId: string, attempts: number) =>
  new TooMuchContention({ memoryId, attempts, message: `memory ${memoryId} changed under us ${attempts} times in a row; retry the request` });

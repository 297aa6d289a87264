import type { AddMemoriesRequest, AddMemoriesResult } from "../ingestion/ingestionService.js";

/** The most cubes one fan-out may name. */
export const maxFanOutCubes = 50;

export interface FanOutRequest extends AddMemoriesRequest {
  /** The cubes each memory of the request is added to; duplicates are written once. */
  readonly cubeIds: readonly string[];
}

/** One cube's outcome: the ids it got (and the add's own answer), or why it was refused. */
export type FanOutOutcome =
  | { readonly cubeId: string; readonly memoryIds: readonly string[]; readonly result: AddMemoriesResult }
  | { readonly cubeId: string; readonly error: { readonly error: string; readonly message: string } };

export interface FanOutReport {
  readonly results: readonly FanOutOutcome[];
  /** How many cubes took the add, and how many refused it. */
  readonly succeeded: number;
  readonly failed: number;
}

/** Thrown (400) before anything is written when the cube list itself is unusable. */
export class InvalidFanOut extends Error {
  readonly _tag = "InvalidRequest" as const;
  readonly field = "cubeIds";
  constructor(problem: string) {
    super(`cubeIds ${problem}`);
  }
}

/**
 * The command id of one cube's share of a fan-out: derived from the caller's
 * (its Idempotency-Key), so a retry of the whole fan-out re-runs each cube's add
 * under the id it had, and a cube that took it the first time answers as then
 * instead of adding twice. Without a command id each run is new, like any add.
 */
export const fanOutCommandId = (commandId: string | undefined, cubeId: string): string | undefined => (commandId === undefined ? undefined : `${commandId}:fan-out:${cubeId}`);

/**
 * MemOS's composite view: one add written to several cubes. Each cube's add is
 * its own command, atomic per unit as every add is, and independent of the
 * others: a cube the caller may not write, a missing or removed cube, or a
 * failing add is reported for that cube while the others go ahead. Cubes run one
 * after another so a report lists them in the order asked. When no cube took the
 * add, nothing was written anywhere: the fan-out fails as a whole with the first
 * cube's error (its status: 403, 404, 410...), so a refusal never looks like a 200.
 */
export async function fanOutAdd<Ctx>(
  add: (cubeId: string, request: AddMemoriesRequest, ctx: Ctx) => Promise<AddMemoriesResult>,
  request: FanOutRequest,
  ctxFor: (cubeId: string) => Ctx,
): Promise<FanOutReport> {
  if (!Array.isArray(request.cubeIds) || request.cubeIds.length === 0) throw new InvalidFanOut("must name at least one cube");
  const cubeIds = [...new Set(request.cubeIds)];
  if (cubeIds.length > maxFanOutCubes) throw new InvalidFanOut(`names ${cubeIds.length} cubes; at most ${maxFanOutCubes} per fan-out (split it)`);
  if (cubeIds.some((id) => typeof id !== "string" || id === "")) throw new InvalidFanOut("must be non-empty cube ids");
  const { cubeIds: _cubes, ...addRequest } = request;
  const results: FanOutOutcome[] = [];
  let firstError: unknown;
  for (const cubeId of cubeIds) {
    try {
      const result = await add(cubeId, addRequest, ctxFor(cubeId));
      results.push({ cubeId, memoryIds: result.mode === "sync" ? result.memories.map((m) => m.memoryId) : result.memoryIds, result });
    } catch (error) {
      firstError ??= error;
      results.push({ cubeId, error: refusal(error) });
    }
  }
  const succeeded = results.filter((r) => "memoryIds" in r).length;
  if (succeeded === 0) throw firstError;
  return { results, succeeded, failed: results.length - succeeded };
}

/** A typed error as the REST body shows it; engine trouble the same way, so one cube's outage does not hide the others' outcomes. */
function refusal(error: unknown): { error: string; message: string } {
  const tagged = error as { _tag?: unknown; message?: unknown };
  return { error: typeof tagged?._tag === "string" ? tagged._tag : "Error", message: typeof tagged?.message === "string" ? tagged.message : String(error) };
}

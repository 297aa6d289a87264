import { Data } from "effect";

/**
 * A read or write reached a cube that is removed (hot-plug). 410 Gone rather
 * than 404: the cube exists and was unplugged on purpose, and the caller who
 * may see it is better served by when, by whom and how to bring it back than by
 * a "no such cube" that sends them looking for a typo. Principals who may not
 * read the cube still get the 404 of a missing one (the gate runs first).
 */
export class CubeRemoved extends Data.TaggedError("CubeRemoved")<{
  readonly cubeId: string;
  readonly memoryId?: string;
  readonly removedAt: string;
  readonly removedBy: string;
  readonly message: string;
}> {}

export const cubeRemoved = (cubeId: string, removal: { readonly at: string; readonly by: string }, memoryId?: string) =>
  new CubeRemoved({
    cubeId,
    ...(memoryId !== undefined ? { memoryId } : {}),
    removedAt: removal.at,
    removedBy: removal.by,
    message: `${memoryId !== undefined ? `memory ${memoryId} belongs to cube ${cubeId}, which` : `cube ${cubeId}`} was removed at ${removal.at} by ${removal.by}; a cube admin can reinstate it (POST /cubes/${cubeId}/reinstate) to read and write it again, or read it as of a time before the removal`,
  });

/** Remove of a cube already removed, or reinstate of one that is not. */
export class CubeLifecycleConflict extends Data.TaggedError("CubeLifecycleConflict")<{ readonly cubeId: string; readonly message: string }> {}

export const cubeAlreadyRemoved = (cubeId: string, removal: { readonly at: string; readonly by: string }) =>
  new CubeLifecycleConflict({ cubeId, message: `cube ${cubeId} is already removed (at ${removal.at} by ${removal.by}); reinstate it first if you meant to remove it again` });

export const cubeNotRemoved = (cubeId: string) =>
  new CubeLifecycleConflict({ cubeId, message: `cube ${cubeId} is not removed, so there is nothing to reinstate; list removed cubes with GET /cubes?includeRemoved=true` });

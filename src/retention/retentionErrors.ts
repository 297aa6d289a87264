import { Data } from "effect";

/** 404: the cube exists but has no retention policy. */
export class RetentionPolicyNotFound extends Data.TaggedError("RetentionPolicyNotFound")<{ readonly cubeId: string; readonly message: string }> {}
export const retentionPolicyNotFound = (cubeId: string) =>
  new RetentionPolicyNotFound({ cubeId, message: `cube ${cubeId} has no retention policy; set one first (PUT /cubes/${cubeId}/retention-policy)` });

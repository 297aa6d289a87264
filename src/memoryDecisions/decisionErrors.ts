import { Data } from "effect";

/** 404: no decision with this id in any cube of the caller's tenant. */
export class DecisionNotFound extends Data.TaggedError("DecisionNotFound")<{ readonly decisionId: string; readonly message: string }> {}
export const decisionNotFound = (decisionId: string) =>
  new DecisionNotFound({ decisionId, message: `decision ${decisionId} does not exist; list a cube's decisions (GET /cubes/{cubeId}/decisions) to find its id` });

/** 409: the decision is not in a state that allows this (accept a proposal, revert an applied decision). */
export class DecisionNotPending extends Data.TaggedError("DecisionNotPending")<{ readonly decisionId: string; readonly status: string; readonly message: string }> {}
export const decisionNotPending = (decisionId: string, status: string, wanted: string) =>
  new DecisionNotPending({ decisionId, status, message: `decision ${decisionId} is ${status}; only ${wanted}` });

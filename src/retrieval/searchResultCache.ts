import type { SearchResponse } from "../search/searchRequest.js";

/**
 * Answers of recent searches, valid only while the read models stay at the
 * checkpoints they were computed at (the `state` signature): any write moves a
 * checkpoint, and the first search after it empties the cache, so an answer is
 * never stale, and answers holding erased content go with the first search
 * after the erasure.
 * Only complete answers are kept (read models caught up, none degraded).
 */
export interface SearchResultCache {
  get(state: string, request: string): SearchResponse | undefined;
  put(state: string, request: string, response: SearchResponse): void;
}

export function searchResultCache(capacity = 1_000): SearchResultCache {
  let currentState = "";
  const answers = new Map<string, SearchResponse>();
  const moveTo = (state: string) => {
    if (state === currentState) return;
    answers.clear();
    currentState = state;
  };
  return {
    get(state, request) {
      moveTo(state);
      const answer = answers.get(request);
      // A copy: a caller that changes its answer must not change the next caller's.
      return answer === undefined ? undefined : structuredClone(answer);
    },
    put(state, request, response) {
      moveTo(state);
      answers.set(request, structuredClone(response));
      if (answers.size > capacity) answers.delete(answers.keys().next().value!);
    },
  };
}

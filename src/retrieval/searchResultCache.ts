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
  clear(): void;
}

/**
 * Bounded by count and by size: memory texts have no length limit of their own and an answer holds up to 100 of
 * them, so a count alone could pin gigabytes. Sizes are estimated by JSON length (close to bytes for ASCII text).
 */
export function searchResultCache(capacity = 1_000, maxBytes = 32 * 1024 * 1024): SearchResultCache {
  let currentState = "";
  const answers = new Map<string, { readonly response: SearchResponse; readonly bytes: number }>();
  let heldBytes = 0;
  const moveTo = (state: string) => {
    if (state === currentState) return;
    answers.clear();
    heldBytes = 0;
    currentState = state;
  };
  const drop = (request: string) => {
    heldBytes -= answers.get(request)?.bytes ?? 0;
    answers.delete(request);
  };
  return {
    get(state, request) {
      moveTo(state);
      const answer = answers.get(request);
      // A copy: a caller that changes its answer must not change the next caller's.
      return answer === undefined ? undefined : structuredClone(answer.response);
    },
    put(state, request, response) {
      moveTo(state);
      const bytes = request.length + JSON.stringify(response).length;
      if (bytes > maxBytes) return; // would evict everything else and still not fit
      drop(request);
      answers.set(request, { response: structuredClone(response), bytes });
      heldBytes += bytes;
      // Oldest first: a Map iterates in insertion order.
      while (answers.size > capacity || heldBytes > maxBytes) drop(answers.keys().next().value!);
    },
    clear() {
      answers.clear();
      currentState = "";
    },
  };
}

import type { Reranker } from "./rerankerPort.js";
import { defaultRetrySettings, isRetriableStatus, parseRetryAfter, retryDelayMs, type RetrySettings } from "../chatModel/retryBackoff.js";
import { redactUrl } from "../redactUrl.js";
import { RerankerUnavailable } from "./rerankerErrors.js";

export interface HttpRerankerOptions {
  /** The full endpoint: http://localhost:8000/v1/rerank (vLLM), http://localhost:8080/v1/rerank (llama.cpp server), https://api.jina.ai/v1/rerank ... */
  readonly url: string;
  readonly model: string;
  /** Sent as a bearer token; local servers usually need none. */
  readonly apiKey?: string;
  /** Per call (each retry gets its own); default 10,000 ms: a search is waiting. */
  readonly timeoutMs?: number;
  /** Default: 2 retries, 200 ms first wait, at most 5 s (a search cannot wait like a background job). */
  readonly retry?: Partial<RetrySettings>;
  /** Injected by tests. */
  readonly fetch?: typeof fetch;
}

/** A search waits on the reranker, so it retries less and waits shorter than the chat model does. */
const searchRetrySettings: RetrySettings = { ...defaultRetrySettings, maxRetries: 2, baseDelayMs: 200, maxDelayMs: 5_000 };

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Reranker port over the `/rerank` shape that Jina, Cohere-compatible
 * servers, vLLM, llama.cpp server and Infinity speak:
 * POST { model, query, documents, top_n } → { results: [{ index, relevance_score }] }.
 * A bare array of { index, score } (Hugging Face TEI's answer) is read too.
 * Retries 408/429/5xx, timeouts and network errors, honouring Retry-After.
 */
export function httpReranker(options: HttpRerankerOptions): Reranker {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retry: RetrySettings = { ...searchRetrySettings, ...options.retry };
  const doFetch = options.fetch ?? fetch;
  const endpoint = redactUrl(options.url);
  const name = `http:${options.model}`;
  const where = `reranker ${options.model} at ${endpoint}`;

  async function post(body: string): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
      throw new Error(timedOut ? `no answer within ${timeoutMs} ms` : `unreachable (${innermost(cause)})`, { cause });
    }
    const text = await response.text();
    if (!response.ok) throw new HttpStatusError(response.status, parseRetryAfter(response.headers), `HTTP ${response.status}: ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpStatusError(response.status, undefined, `answered HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  return {
    name,
    async rerank(query, candidates) {
      if (candidates.length === 0) return [];
      const body = JSON.stringify({ model: options.model, query, documents: candidates.map((c) => c.text), top_n: candidates.length, return_documents: false });
      for (let calls = 1; ; calls++) {
        try {
          return scoresFrom(await post(body), candidates.length, where, name);
        } catch (cause) {
          const status = cause instanceof HttpStatusError ? cause.status : undefined;
          const answeredBadly = cause instanceof RerankerUnavailable || (cause instanceof HttpStatusError && status !== undefined && status < 300);
          if (answeredBadly || !isRetriableStatus(status) || calls > retry.maxRetries) {
            if (cause instanceof RerankerUnavailable) throw cause;
            throw new RerankerUnavailable(name, `${where} failed after ${calls} call(s) (${cause instanceof Error ? cause.message : String(cause)}); ${hint(status)}`, { ...(status !== undefined ? { status } : {}), calls }, { cause });
          }
          await sleep(retryDelayMs(calls, retry, cause instanceof HttpStatusError ? cause.retryAfterMs : undefined));
        }
      }
    },
  };
}

function hint(status: number | undefined): string {
  if (status === 401 || status === 403) return "check MEMLEDGER_RERANKER_API_KEY";
  if (status === 404) return "check MEMLEDGER_RERANKER_URL (the full /rerank endpoint, e.g. http://localhost:8000/v1/rerank) and MEMLEDGER_RERANKER_MODEL";
  if (status === undefined || status === 429 || status >= 500) return "search goes on in fused order meanwhile; start the server or raise MEMLEDGER_RERANKER_TIMEOUT_MS";
  return "the endpoint refused the request; search goes on in fused order";
}

/** One score per candidate, in candidate order, from either answer shape. */
function scoresFrom(answer: unknown, count: number, where: string, name: string): number[] {
  const results = Array.isArray(answer) ? answer : (answer as { results?: unknown } | null)?.results;
  const invalid = (why: string) => new RerankerUnavailable(name, `${where} answered something that is not a rerank result (${why}); it must be { results: [{ index, relevance_score }] }`);
  if (!Array.isArray(results)) throw invalid("no results list");
  // A result the server left out (top_n honoured loosely) ranks below every scored one.
  const scores = new Array<number>(count).fill(-Infinity);
  for (const result of results as { index?: unknown; relevance_score?: unknown; score?: unknown }[]) {
    const index = result?.index;
    const score = result?.relevance_score ?? result?.score;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= count) throw invalid(`index ${JSON.stringify(index)} is not one of the ${count} documents sent`);
    if (typeof score !== "number" || !Number.isFinite(score)) throw invalid(`document ${index} has no numeric relevance_score`);
    scores[index] = score;
  }
  return scores;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function innermost(cause: unknown): string {
  let inner = cause;
  while (inner instanceof Error && inner.cause !== undefined) inner = inner.cause;
  return inner instanceof Error ? inner.message : String(inner);
}

import type { ReadModelLag } from "../readModels/projectionRunner.js";
import type { AsOf } from "../../projections/asOf.js";
import type { HistoryEntry } from "../../projections/memoryHistory.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { CommandContext } from "../app/commandContext.js";
import type { HealthReport, MemLedger } from "../app/memLedger.js";
import type { CubeView } from "../cube/cubeService.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
import type { FeedOptions, FeedSubscription } from "../feed/memoryEventFeed.js";
import type { PublicMemoryEvent } from "../feed/publicMemoryEvent.js";
import { SseParser } from "../feed/sseParser.js";
import type { JobRecord } from "../jobs/jobBusPort.js";
import type { WriteOptions } from "../memory/memoryService.js";

/**
 * The `MemLedger` API over HTTP: each method is one route of docs/rest-api.md.
 * Failures are thrown as `MemLedgerHttpError`, which carries the server's `_tag`
 * (the `error` field of the body), so callers switch on `_tag` as with the library.
 */
export interface HttpClientOptions {
  /** Used when a call gives no context. */
  readonly defaultContext?: CommandContext;
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** A non-2xx answer of the server: `{ error, message, ...details }` with the HTTP status. */
export class MemLedgerHttpError extends Error {
  readonly _tag: string;
  readonly status: number;
  readonly [detail: string]: unknown;

  constructor(tag: string, message: string, status: number, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = tag;
    this._tag = tag;
    this.status = status;
    const reserved = new Set(["error", "message", "_tag", "status", "name", "stack", "cause"]);
    for (const [key, value] of Object.entries(details)) if (!reserved.has(key)) Object.defineProperty(this, key, { value, enumerable: true });
  }
}

type Method = "GET" | "POST" | "PATCH";
type Query = Record<string, string | number | undefined>;

interface Request {
  readonly method: Method;
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly ctx?: CommandContext;
  readonly options?: WriteOptions;
}

/** Connects to a running server; reads `GET /health` once to learn the engine. */
export async function connectMemLedger(baseUrl: string, options: HttpClientOptions = {}): Promise<MemLedger> {
  const base = baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;
  const defaults: CommandContext = options.defaultContext ?? { tenantId: "default", actor: "library" };

  const call = async <T>(request: Request): Promise<T> => {
    const url = base + request.path + queryString(request.query ?? {});
    const headers = contextHeaders(request.ctx ?? defaults, request.options);
    const hasBody = request.method !== "GET";
    if (hasBody) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await doFetch(url, { method: request.method, headers, ...(hasBody ? { body: JSON.stringify(request.body ?? {}) } : {}) });
    } catch (cause) {
      throw new Error(`cannot reach the memledger server at ${base} (${describe(cause)}); check the URL and that the server is running`, { cause });
    }
    const text = await response.text();
    if (response.ok) return parseJson(text) as T;
    throw httpFailure(request.method, request.path, response.status, text);
  };

  const get = <T>(path: string, query?: Query) => call<T>({ method: "GET", path, ...(query ? { query } : {}) });
  const post = <T>(path: string, body: unknown, ctx?: CommandContext, options?: WriteOptions) =>
    call<T>({ method: "POST", path, body: withExpectedRevision(body, options), ...(ctx ? { ctx } : {}), ...(options ? { options } : {}) });
  const memory = (id: string, action = "") => `/memories/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;
  const job = (id: string, action = "") => `/jobs/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;
  const cube = (id: string, action = "") => `/cubes/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;

  const health = await get<{ status: string; engine: string }>("/health");

  const openFeed = (opts: FeedOptions, after: number, signal: AbortSignal) => {
    const headers = { ...contextHeaders(defaults, undefined), accept: "text/event-stream" };
    const query = { after, cubeId: opts.cubeId, includeContent: opts.includeContent === true ? "true" : undefined };
    return doFetch(`${base}/events${queryString(query)}`, { headers, signal });
  };
  // close() ends the feeds still open, as the library's close() does.
  const feeds = new Set<FeedSubscription>();

  return {
    engine: health.engine,
    cubes: {
      create: (input, ctx) => post("/cubes", input, ctx),
      get: (cubeId) => get(cube(cubeId)),
      list: async (tenantId) =>
        (await call<{ cubes: CubeView[] }>({ method: "GET", path: "/cubes", ctx: tenantId === undefined ? defaults : { ...defaults, tenantId } })).cubes,
      memories: async (cubeId, opts = {}) => {
        const query: Query = { status: opts.statuses?.join(",") };
        if (opts.asOf !== undefined) {
          if ("time" in opts.asOf) query.asOf = opts.asOf.time;
          else if ("position" in opts.asOf) query.asOfPosition = opts.asOf.position;
          else throw new MemLedgerHttpError("InvalidRequest", "asOf of a cube's memories must be a time or a log position; a revision belongs to one memory", 400, { field: "asOf" });
        }
        return (await get<{ memories: MemoryView[] }>(cube(cubeId, "memories"), query)).memories;
      },
      rollback: (cubeId, toTime, ctx) => post(cube(cubeId, "rollback"), { toTime }, ctx),
      branch: (cubeId, asOf, target = {}, ctx) => post(cube(cubeId, "branch"), { asOf, ...target }, ctx),
      scheduleRetentionSweep: (cubeId, request, ctx) => post(cube(cubeId, "retention-sweeps"), request, ctx),
    },
    memories: {
      create: (input, ctx) => post("/memories", input, ctx),
      add: (cubeId, request, ctx) => post(cube(cubeId, "add"), request, ctx),
      schedule: (id, request, ctx) => post(memory(id, "schedule"), request, ctx),
      activate: (id, ctx, o) => post(memory(id, "activate"), {}, ctx, o),
      edit: (id, edit, ctx, o) =>
        call({ method: "PATCH", path: memory(id), body: withExpectedRevision(edit, o), ...(ctx ? { ctx } : {}), ...(o ? { options: o } : {}) }),
      merge: (id, successorId, ctx, o) => post(memory(id, "merge"), { successorId }, ctx, o),
      archive: (id, ctx, o) => post(memory(id, "archive"), {}, ctx, o),
      restore: (id, ctx, o) => post(memory(id, "restore"), {}, ctx, o),
      freeze: (id, reason, note, ctx, o) => post(memory(id, "freeze"), { reason, ...(note !== undefined ? { note } : {}) }, ctx, o),
      erase: (id, ctx) => post(memory(id, "erase"), {}, ctx),
      revert: (id, toRevision, ctx, o) => post(memory(id, "revert"), { toRevision }, ctx, o),
      get: (id, asOf) => get(memory(id), asOfQuery(asOf)),
      history: async (id) => (await get<{ entries: HistoryEntry[] }>(memory(id, "history"))).entries,
      diff: (id, from, to) => get(memory(id, "diff"), { from, to }),
    },
    search: (request) => post("/search", request),
    health: async (timeoutMs) => {
      // 503 carries the same report (the log or the job bus is down), so read the body either way.
      let response: Response;
      try {
        response = await doFetch(`${base}/health/ready${queryString({ timeoutMs })}`, { headers: contextHeaders(defaults, undefined) });
      } catch (cause) {
        throw new Error(`cannot reach the memledger server at ${base} (${describe(cause)}); check the URL and that the server is running`, { cause });
      }
      const text = await response.text();
      if (response.ok || response.status === 503) return parseJson(text) as HealthReport;
      throw httpFailure("GET", "/health/ready", response.status, text);
    },
    readModels: {
      lag: async () => (await get<{ readModels: ReadModelLag[] }>("/read-models")).readModels,
      rebuild: (name) => post(`/read-models/${encodeURIComponent(name)}/rebuild`, {}),
      catchUp: async (timeoutMs = 10_000) => {
        // Polls the server's lag report: the HTTP API has no blocking wait for read models.
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const lags = (await get<{ readModels: ReadModelLag[] }>("/read-models")).readModels;
          if (lags.every((l) => l.behind === 0)) return true;
          if (Date.now() >= deadline) return false;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    },
    subjects: {
      erase: (subjectId, ctx) => post(`/subjects/${encodeURIComponent(subjectId)}/erase`, {}, ctx),
      certificates: async (subjectId) => (await get<{ certificates: ErasureCertificate[] }>(`/subjects/${encodeURIComponent(subjectId)}/erasures`)).certificates,
    },
    jobs: {
      get: (jobId) => get(job(jobId)),
      list: async (opts = {}) => (await get<{ jobs: JobRecord[] }>("/jobs", { cubeId: opts.cubeId, status: opts.status, kind: opts.kind, limit: opts.limit })).jobs,
      wait: (jobId, timeoutMs) => get(job(jobId, "wait"), { timeoutMs }),
      retry: (jobId) => post(job(jobId, "retry"), {}),
    },
    feed: {
      subscribe: (opts = {}) => {
        const subscription = sseFeed(base, opts.after ?? 0, (after, signal) => openFeed(opts, after, signal), () => feeds.delete(subscription));
        feeds.add(subscription);
        return subscription;
      },
    },
    close: async () => {
      await Promise.all([...feeds].map((feed) => feed.close()));
    },
  };
}

/** Until the server's `retry:` hint arrives. */
const defaultFeedRetryMs = 1_000;
/** Connection attempts in a row that may fail before the feed gives up and throws. */
const feedConnectAttempts = 5;

/**
 * `GET /events` read as Server-Sent Events. When the stream drops or the server
 * ends it, the feed reconnects after the last position it handed out, so the
 * consumer sees every event once and in order.
 */
function sseFeed(base: string, start: number, connect: (after: number, signal: AbortSignal) => Promise<Response>, onClose: () => void): FeedSubscription {
  const abort = new AbortController();
  abort.signal.addEventListener("abort", onClose);
  let after = start;
  let retryMs = defaultFeedRetryMs;
  return {
    async *[Symbol.asyncIterator]() {
      let failures = 0;
      try {
        while (!abort.signal.aborted) {
          let response: Response | undefined;
          let failure: Error | undefined;
          try {
            response = await connect(after, abort.signal);
          } catch (cause) {
            failure = new Error(`cannot reach the memledger server at ${base} (${describe(cause)}); check the URL and that the server is running`, { cause });
          }
          if (abort.signal.aborted) return;
          if (response && !response.ok) {
            failure = httpFailure("GET", "/events", response.status, await response.text().catch(() => ""));
            // A 4xx is the request's fault and will not heal by retrying.
            if (response.status < 500) throw failure;
          }
          if (!response?.body || failure) {
            failures += 1;
            if (failures >= feedConnectAttempts) throw failure ?? new Error(`GET ${base}/events returned no body`);
            await sleep(retryMs, abort.signal);
            continue;
          }
          failures = 0;
          const parser = new SseParser();
          const decoder = new TextDecoder();
          const reader = response.body.getReader();
          for (;;) {
            // A read that fails means the connection dropped: resume after the last event handed out.
            const chunk = await reader.read().catch(() => undefined);
            if (chunk === undefined || chunk.done) break;
            for (const message of parser.push(decoder.decode(chunk.value, { stream: true }))) {
              const event = JSON.parse(message.data) as PublicMemoryEvent;
              after = event.position;
              yield event;
            }
            retryMs = parser.retryMs ?? retryMs;
          }
          await sleep(retryMs, abort.signal);
        }
      } finally {
        // Breaking out of the loop must also drop the connection.
        abort.abort();
      }
    },
    close: async () => abort.abort(),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/** A non-2xx answer as the server's typed error, or a plain Error when the body is not in the server's format. */
function httpFailure(method: string, path: string, status: number, text: string): Error {
  const body = parseJson(text);
  if (isErrorBody(body)) return new MemLedgerHttpError(body.error, typeof body.message === "string" ? body.message : `${body.error} (HTTP ${status})`, status, body);
  // Not the server's error format (a proxy page, a crash): no tag, so it is not mistaken for a user error.
  return new Error(`${method} ${path} failed with HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`);
}

/** The request context as the headers of docs/rest-api.md. */
function contextHeaders(ctx: CommandContext, options: WriteOptions | undefined): Record<string, string> {
  const headers: Record<string, string> = { accept: "application/json" };
  const set = (name: string, value: string | number | undefined) => {
    if (value === undefined) return;
    const text = String(value);
    // fetch refuses header values outside Latin-1; say which one instead of a bare TypeError.
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(text)) {
      throw new MemLedgerHttpError("InvalidRequest", `${name} can carry only Latin-1 text without line breaks over HTTP; got ${JSON.stringify(text)}`, 400, { field: name });
    }
    headers[name] = text;
  };
  set("x-tenant-id", ctx.tenantId);
  set("x-actor", ctx.actor);
  set("x-reason", ctx.reason);
  set("x-correlation-id", ctx.correlationId);
  set("idempotency-key", ctx.commandId);
  // An entity tag is quoted (RFC 9110); the server answers a bare number with a 400.
  set("if-match", options?.expectedRevision !== undefined ? `"${options.expectedRevision}"` : undefined);
  return headers;
}

/** The expected revision goes both in `if-match` and in the body, as the routes accept either. */
function withExpectedRevision(body: unknown, options: WriteOptions | undefined): unknown {
  if (options?.expectedRevision === undefined) return body;
  return { ...(body as object), expectedRevision: options.expectedRevision };
}

function asOfQuery(asOf: AsOf | undefined): Query | undefined {
  if (asOf === undefined) return undefined;
  if ("revision" in asOf) return { asOfRevision: asOf.revision };
  if ("position" in asOf) return { asOfPosition: asOf.position };
  return { asOfTime: asOf.time };
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isErrorBody(body: unknown): body is { error: string; message?: unknown } & Record<string, unknown> {
  return typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string";
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    return inner instanceof Error ? `${cause.message}: ${inner.message}` : cause.message;
  }
  return String(cause);
}

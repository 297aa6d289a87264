import type { AsOf } from "../../projections/asOf.js";
import type { HistoryEntry } from "../../projections/memoryHistory.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { CommandContext } from "../app/commandContext.js";
import type { MemLedger } from "../app/memLedger.js";
import type { CubeView } from "../cube/cubeService.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
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
    const body = parseJson(text);
    if (response.ok) return body as T;
    if (isErrorBody(body)) throw new MemLedgerHttpError(body.error, typeof body.message === "string" ? body.message : `${body.error} (HTTP ${response.status})`, response.status, body);
    // Not the server's error format (a proxy page, a crash): no tag, so it is not mistaken for a user error.
    throw new Error(`${request.method} ${request.path} failed with HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
  };

  const get = <T>(path: string, query?: Query) => call<T>({ method: "GET", path, ...(query ? { query } : {}) });
  const post = <T>(path: string, body: unknown, ctx?: CommandContext, options?: WriteOptions) =>
    call<T>({ method: "POST", path, body: withExpectedRevision(body, options), ...(ctx ? { ctx } : {}), ...(options ? { options } : {}) });
  const memory = (id: string, action = "") => `/memories/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;
  const cube = (id: string, action = "") => `/cubes/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;

  const health = await get<{ status: string; engine: string }>("/health");

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
    },
    memories: {
      create: (input, ctx) => post("/memories", input, ctx),
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
    subjects: {
      erase: (subjectId, ctx) => post(`/subjects/${encodeURIComponent(subjectId)}/erase`, {}, ctx),
      certificates: async (subjectId) => (await get<{ certificates: ErasureCertificate[] }>(`/subjects/${encodeURIComponent(subjectId)}/erasures`)).certificates,
    },
    close: async () => {},
  };
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
  set("if-match", options?.expectedRevision);
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

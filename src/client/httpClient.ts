import type { CubeGrant, PrincipalState } from "../../domain/governance/accessState.js";
import { httpReports } from "../compliance/httpReports.js";
import { httpTamperEvidence } from "../tamperEvidence/tamperEvidenceHttpClient.js";
import type { AsOf } from "../../projections/asOf.js";
import type { HistoryEntry } from "../../projections/memoryHistory.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { ApiKeyView, GovernanceApi, ReadAuditApi, RequestOptions } from "../app/ledgerApi.js";
import type { HealthReport, ScopedLedger } from "../app/memLedger.js";
import type { CubeView } from "../cube/cubeService.js";
import type { ErasureCertificate } from "../erasure/subjectErasure.js";
import type { FeedOptions, FeedSubscription } from "../feed/memoryEventFeed.js";
import type { PublicMemoryEvent } from "../feed/publicMemoryEvent.js";
import { SseParser } from "../feed/sseParser.js";
import type { JobRecord } from "../jobs/jobBusPort.js";
import type { WriteOptions } from "../memory/memoryService.js";
import type { ReadModelLag } from "../readModels/projectionRunner.js";
import type { ReadQuery, StoredReadRecord } from "../readAudit/readAuditPort.js";
import type { SubjectExportDocument } from "../subjectExport/subjectExportDocument.js";
import { httpRedaction } from "./redactionClient.js";
import { remoteHolds } from "./holdsClient.js";
import { remoteRetention } from "./retentionClient.js";
import { remoteDecisions } from "./decisionsClient.js";
import { remoteFeedback, remotePreferences } from "./feedbackClient.js";
import { remoteInterchange } from "./interchangeClient.js";
import type { ChatCompletionRequest } from "../memChat/chatCompletionRequest.js";
import type { ChatCompletionAnswer } from "../memChat/chatCompletionResponse.js";

/**
 * The ledger over HTTP, as the principal of its API key sees it: each method is
 * one route of docs/rest-api.md. Failures are thrown as `MemLedgerHttpError`,
 * which carries the server's `_tag` (the `error` field of the body), so callers
 * switch on `_tag` as with the library (401 `Unauthenticated`, 403 `Forbidden`).
 */
export interface HttpClientOptions {
  /** The bearer credential (an API key, or an OIDC token when the server accepts them): tenant and actor come from it. */
  readonly apiKey: string;
  /** The user this client (an agent) acts for, under that user's delegation: sent as X-On-Behalf-Of. */
  readonly onBehalfOf?: string;
  /** The session this client's requests belong to: sent as X-Session-Id, it makes that session's `session` units visible. */
  readonly sessionId?: string;
  /** Used when a call gives no request options (reason, correlation id). */
  readonly defaultOptions?: RequestOptions;
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** What `connectMemLedger` returns: the scoped API of one principal, plus the connection's own calls. */
export type RemoteLedger = ScopedLedger & {
  readonly engine: string;
  health(timeoutMs?: number): Promise<HealthReport>;
  /** Liveness (`GET /health/live`): the process serves HTTP; no engine is probed. */
  live(): Promise<{ status: string }>;
  /** mem_chat (`POST /v1/chat/completions`, docs/memchat.md), answered whole; to stream, use the `openai` client on `<server>/v1`. */
  chatCompletion(request: ChatCompletionRequest, ctx?: RequestOptions): Promise<ChatCompletionAnswer>;
  /** Ends the event feeds still open. */
  close(): Promise<void>;
};

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

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
type Query = Record<string, string | number | undefined>;

interface Request {
  readonly method: Method;
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly ctx?: RequestOptions;
  readonly options?: WriteOptions;
}

/** Connects to a running server with an API key; reads `GET /health` once to learn the engine. */
export async function connectMemLedger(baseUrl: string, options: HttpClientOptions): Promise<RemoteLedger> {
  const base = baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch;
  const defaults: RequestOptions = options.defaultOptions ?? {};
  if (typeof options.apiKey !== "string" || options.apiKey.trim() === "") {
    throw new MemLedgerHttpError("Unauthenticated", "connectMemLedger needs options.apiKey: every route but /health needs Authorization: Bearer <key> (the first admin key is in <dataDir>/admin.key)", 401, { why: "no credential" });
  }
  const credential = {
    authorization: `Bearer ${options.apiKey.trim()}`,
    ...(options.onBehalfOf !== undefined ? { "x-on-behalf-of": options.onBehalfOf } : {}),
    ...(options.sessionId !== undefined ? { "x-session-id": options.sessionId } : {}),
  };
  const headersFor = (ctx: RequestOptions, writeOptions?: WriteOptions) => ({ ...requestHeaders(ctx, writeOptions), ...credential });

  const call = async <T>(request: Request): Promise<T> => {
    const url = base + request.path + queryString(request.query ?? {});
    const headers: Record<string, string> = headersFor(request.ctx ?? defaults, request.options);
    const hasBody = request.method === "POST" || request.method === "PATCH" || request.method === "PUT";
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
  const post = <T>(path: string, body: unknown, ctx?: RequestOptions, options?: WriteOptions) =>
    call<T>({ method: "POST", path, body: withExpectedRevision(body, options), ...(ctx ? { ctx } : {}), ...(options ? { options } : {}) });
  const del = <T>(path: string, ctx?: RequestOptions) => call<T>({ method: "DELETE", path, ...(ctx ? { ctx } : {}) });
  const segment = (id: string) => encodeURIComponent(id);
  const memory = (id: string, action = "") => `/memories/${segment(id)}${action ? `/${action}` : ""}`;
  const job = (id: string, action = "") => `/jobs/${segment(id)}${action ? `/${action}` : ""}`;
  const cube = (id: string, action = "") => `/cubes/${segment(id)}${action ? `/${action}` : ""}`;
  const principal = (id: string, action = "") => `/principals/${segment(id)}${action ? `/${action}` : ""}`;
  const asOfTime = (asOf: AsOf | undefined, what: string): Query | undefined => {
    if (asOf === undefined) return undefined;
    if ("time" in asOf) return { asOfTime: asOf.time };
    throw new MemLedgerHttpError("InvalidRequest", `asOf of ${what} must be a time over HTTP; a revision or a log position is not accepted there`, 400, { field: "asOf" });
  };

  const health = await get<{ status: string; engine: string }>("/health");

  const openFeed = (opts: FeedOptions, after: number, signal: AbortSignal) => {
    const headers = { ...headersFor(defaults), accept: "text/event-stream" };
    const query = { after, cubeId: opts.cubeId, includeContent: opts.includeContent === true ? "true" : undefined };
    return doFetch(`${base}/events${queryString(query)}`, { headers, signal });
  };
  // close() ends the feeds still open, as the library's close() does.
  const feeds = new Set<FeedSubscription>();

  const governance: GovernanceApi<RequestOptions> = {
    whoAmI: () => get<PrincipalState>("/me"),
    principals: async (asOf) => (await get<{ principals: PrincipalState[] }>("/principals", asOfTime(asOf, "principals"))).principals,
    principal: (principalId, asOf) => get(principal(principalId), asOfTime(asOf, "a principal")),
    createPrincipal: (input, ctx) => post("/principals", input, ctx),
    grantRole: (principalId, role, ctx) => post(principal(principalId, "roles"), { role }, ctx),
    revokeRole: (principalId, role, ctx) => del(principal(principalId, `roles/${segment(role)}`), ctx),
    joinGroup: (principalId, group, ctx) => post(principal(principalId, "groups"), { group }, ctx),
    leaveGroup: (principalId, group, ctx) => del(principal(principalId, `groups/${segment(group)}`), ctx),
    disable: (principalId, ctx) => post(principal(principalId, "disable"), {}, ctx),
    enable: (principalId, ctx) => post(principal(principalId, "enable"), {}, ctx),
    issueKey: (principalId, request, ctx) => post(principal(principalId, "keys"), request, ctx),
    keys: async (principalId) => (await get<{ keys: ApiKeyView[] }>("/keys", { principalId })).keys,
    revokeKey: (keyId, ctx) => post(`/keys/${segment(keyId)}/revoke`, {}, ctx),
    cubeGrants: async (cubeId, asOf) => (await get<{ grants: CubeGrant[] }>(cube(cubeId, "grants"), asOfTime(asOf, "cube grants"))).grants,
    grantCube: async (cubeId, grantee, permission, ctx) => (await post<{ grants: CubeGrant[] }>(cube(cubeId, "grants"), { grantee, permission }, ctx)).grants,
    revokeCube: async (cubeId, grantee, permission, ctx) => (await post<{ grants: CubeGrant[] }>(cube(cubeId, "grants/revoke"), { grantee, permission }, ctx)).grants,
    delegate: async (userId, agentId, ctx) => void (await post(principal(userId, "delegations"), { agentId }, ctx)),
    revokeDelegation: async (userId, agentId, ctx) => void (await del(principal(userId, `delegations/${segment(agentId)}`), ctx)),
  };
  const reads = async (by: "memoryId" | "principalId", id: string, query: Omit<ReadQuery, "tenantId"> = {}) =>
    (await get<{ reads: StoredReadRecord[] }>("/audit/reads", { [by]: id, from: query.from, to: query.to, after: query.after, limit: query.limit })).reads;
  const audit: ReadAuditApi = {
    whoRead: (memoryId, query) => reads("memoryId", memoryId, query),
    readsBy: (principalId, query) => reads("principalId", principalId, query),
  };

  return {
    engine: health.engine,
    cubes: {
      create: (input, ctx) => post("/cubes", input, ctx),
      get: (cubeId) => get(cube(cubeId)),
      // The tenant is the API key's: a tenant argument cannot widen it.
      list: async (_tenantId, listOptions) => (await get<{ cubes: CubeView[] }>("/cubes", listOptions?.includeRemoved ? { includeRemoved: "true" } : undefined)).cubes,
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
      update: (cubeId, changes, ctx) => call({ method: "PATCH", path: cube(cubeId), body: changes, ...(ctx ? { ctx } : {}) }),
      remove: (cubeId, ctx) => post(cube(cubeId, "remove"), {}, ctx),
      reinstate: (cubeId, ctx) => post(cube(cubeId, "reinstate"), {}, ctx),
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
      neighbourhood: (id, options) => get(memory(id, "graph"), options?.hops !== undefined ? { hops: options.hops } : {}),
      transfer: (id, request, ctx) => post(memory(id, "transfer"), request, ctx),
      fanOut: (request, ctx) => post("/memories/fan-out", request, ctx),
    },
    search: (request) => post("/search", request),
    health: async (timeoutMs) => {
      // 503 carries the same report (the log or the job bus is down), so read the body either way.
      let response: Response;
      try {
        response = await doFetch(`${base}/health/ready${queryString({ timeoutMs })}`, { headers: headersFor(defaults) });
      } catch (cause) {
        throw new Error(`cannot reach the memledger server at ${base} (${describe(cause)}); check the URL and that the server is running`, { cause });
      }
      const text = await response.text();
      if (response.ok || response.status === 503) return parseJson(text) as HealthReport;
      throw httpFailure("GET", "/health/ready", response.status, text);
    },
    live: () => get<{ status: string }>("/health/live"),
    chatCompletion: (request, ctx) => post("/v1/chat/completions", { ...request, stream: false }, ctx),
    readModels: {
      lag: async () => (await get<{ readModels: ReadModelLag[] }>("/read-models")).readModels,
      rebuild: (name) => post(`/read-models/${segment(name)}/rebuild`, {}),
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
      erase: (subjectId, ctx) => post(`/subjects/${segment(subjectId)}/erase`, {}, ctx),
      certificates: async (subjectId) => (await get<{ certificates: ErasureCertificate[] }>(`/subjects/${segment(subjectId)}/erasures`)).certificates,
      export: (subjectId, paging = {}) => get<SubjectExportDocument>(`/subjects/${segment(subjectId)}/export`, { after: paging.after, limit: paging.limit }),
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
    governance,
    audit,
    holds: remoteHolds(call),
    retention: remoteRetention(call),
    decisions: remoteDecisions(call),
    feedback: remoteFeedback(call),
    preferences: remotePreferences(call),
    reports: httpReports(<T>(path: string, query?: Record<string, string | number | undefined>) => get<T>(path, query)),
    documents: {
      add: (cubeId, request, ctx) => post(cube(cubeId, "documents"), request, ctx),
    },
    memReader: {
      addMessages: (cubeId, request, ctx) => post(cube(cubeId, "messages"), request, ctx),
    },
    interchange: remoteInterchange(async (request) => {
      const url = base + request.path + queryString(request.query ?? {});
      const headers = { ...headersFor(request.ctx ?? defaults), accept: "application/x-ndjson, application/json", ...(request.body ? { "content-type": "application/x-ndjson" } : {}) };
      // duplex: a streamed upload (Node's fetch needs it for a stream body).
      const init = { method: request.method, headers, ...(request.body ? { body: request.body, duplex: "half" } : {}) } as RequestInit;
      const response = await doFetch(url, init).catch((cause: unknown) => {
        throw new Error(`cannot reach the memledger server at ${base} (${describe(cause)}); check the URL and that the server is running`, { cause });
      });
      if (!response.ok) throw httpFailure(request.method, request.path, response.status, await response.text());
      return response;
    }),
    tamperEvidence: httpTamperEvidence({ get: (path) => get(path), post: (path, body) => post(path, body) }),
    redaction: httpRedaction({ get, put: (path, body, ctx) => call({ method: "PUT", path, body, ...(ctx ? { ctx } : {}) }) }),
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
  // mem_chat answers in OpenAI's shape, { error: { message, type, code } }: memledger's tag is its code.
  const openAi = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof openAi?.code === "string" && typeof openAi.message === "string") return new MemLedgerHttpError(openAi.code, openAi.message, status, openAi as Record<string, unknown>);
  // A proxy or gateway may refuse the credential in its own format: still the caller's to fix, so still typed.
  if (status === 401) return new MemLedgerHttpError("Unauthenticated", `${method} ${path} was refused (HTTP 401): the API key was not accepted; check it, or ask an admin for a new one (memledger key issue)`, status);
  if (status === 403) return new MemLedgerHttpError("Forbidden", `${method} ${path} was refused (HTTP 403): this principal lacks the permission; ask a tenant admin for a role or a cube grant`, status);
  // Not the server's error format (a proxy page, a crash): no tag, so it is not mistaken for a user error.
  return new Error(`${method} ${path} failed with HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`);
}

/** The request options as the headers of docs/rest-api.md; who acts is the credential's, never a header's. */
function requestHeaders(ctx: RequestOptions, options: WriteOptions | undefined): Record<string, string> {
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

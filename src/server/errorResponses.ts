import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { frameworkRefusal } from "./frameworkErrors.js";
import { validationFailure } from "./validationMessages.js";

/** Typed error tag -> HTTP status. Anything a caller can cause is a 4xx; engine trouble is a 503. */
const statusByTag: Readonly<Record<string, number>> = {
  InvalidCommand: 400,
  InvalidRequest: 400,
  // No credential, or one that is malformed, unknown, expired, revoked or of a disabled principal.
  Unauthenticated: 401,
  // Authenticated, but the policy said no: the message names the missing permission or role.
  Forbidden: 403,
  MemoryNotFound: 404,
  CubeNotFound: 404,
  StreamNotFound: 404,
  TransitionRejected: 409,
  RevisionMismatch: 409,
  // If-Match named no current tag (the body's expectedRevision stays a 409 RevisionMismatch).
  PreconditionFailed: 412,
  ConcurrencyConflict: 409,
  CubeAlreadyExists: 409,
  // Hot-plug: a removed cube (or a unit of one) answers 410 until reinstated; removing twice or reinstating a live cube is a 409.
  CubeRemoved: 410,
  CubeLifecycleConflict: 409,
  IdempotencyConflict: 409,
  TooMuchContention: 409,
  JobNotFound: 404,
  // A compliance report about a unit or cube the caller's tenant does not have.
  ReportSubjectNotFound: 404,
  JobNotRetriable: 409,
  InvalidJob: 400,
  InvalidSearch: 400,
  SearchModeUnavailable: 409,
  ReadModelEngineUnavailable: 503,
  // A read model whose engine is down, or whose damaged file is being rebuilt from the log (the body says how far).
  ReadModelUnavailable: 503,
  EmbedderUnavailable: 503,
  EmbeddingFailed: 502,
  EventStoreUnavailable: 503,
  // The log's file is damaged: writes stay refused until it is restored (docs/operations.md).
  EventLogDamaged: 503,
  // Tamper evidence asked of a log that carries no hash chains (EventStoreDB/KurrentDB): the feature is not there.
  KeyStoreUnavailable: 503,
  JobBusUnavailable: 503,
  // A sync add above its limits: the message names the limit and says to use mode "async".
  SyncAddTooLarge: 413,
  // A processing step (extraction, embedding) failed; the unit is kept, generated, with the error on it.
  IngestionFailed: 502,
  // A legal hold binds the unit: the body names the holds; a refused erasure is pending and runs on release.
  LegalHoldActive: 409,
  HoldNotFound: 404,
  HoldConflict: 409,
  RetentionPolicyNotFound: 404,
  // A cube interchange file that is not intact (the message names the first bad line): nothing was imported.
  InterchangeFileRejected: 422,
  // An id of the file is taken here by something the import did not write, and onConflict is fail.
  InterchangeIdConflict: 409,
  // Merge decisions: an unknown id (or another tenant's) is a 404; accepting what is not proposed, or reverting what is not applied, a 409.
  DecisionNotFound: 404,
  DecisionNotPending: 409,
  // Asked for something that needs a chat model, and none is configured: the message names the env vars (docs/llm.md).
  ChatModelNotConfigured: 409,
  // The chat model endpoint is unreachable, timed out, or still failing after retries.
  ChatModelUnavailable: 503,
  // The chat model's answer did not match the schema after the repair rounds.
  ChatModelAnswerInvalid: 502,
  // The content is not a readable document of its media type (a malformed PDF): nothing was written.
  DocumentUnreadable: 422,
  // The document's text is over one document's limit, or over a sync add's: the message says what to do.
  DocumentTooLarge: 413,
  // A document id names one document per cube: the message says to pick another.
  DocumentAlreadyRecorded: 409,
  // MemFeedback: an unknown plan (or one of cubes the caller may not write) is a 404; applying twice, undoing what is not applied, or erasing unconfirmed, a 409;
  // a plan naming units it may not change (unknown, other cube or user, not changeable) is rejected whole, nothing written.
  FeedbackPlanNotFound: 404,
  FeedbackPlanConflict: 409,
  FeedbackPlanRejected: 422,
};

/** Public fields of a typed error, minus stack and causes. */
function details(error: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === "_tag" || key === "cause" || key === "stack" || key === "name" || key === "message") continue;
    if (value === undefined || typeof value === "function") continue;
    out[key] = value;
  }
  return out;
}

/** Seconds a client should wait before retrying a 503. */
function retryAfterSeconds(error: unknown): number {
  const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 1 ? Math.ceil(seconds) : 5;
}

/**
 * A raw SQLite error that no store typed (a read model, the job queue, a cache):
 * still storage trouble, so a 503 naming the engine code, never a 500.
 */
function storageFailure(error: unknown): Record<string, unknown> | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return undefined;
  const hint = code.startsWith("SQLITE_FULL")
    ? "the disk is full; free space"
    : code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")
      ? "another process holds a lock on a file of the data directory; retry"
      : code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB")
        ? "a file of the data directory is damaged; check GET /health/ready and see docs/operations.md"
        : "check the data directory's disk and permissions, then retry";
  return { error: "StorageUnavailable", message: `a storage engine failed (${code}): ${hint}`, code };
}

/** A refused governance command: its reason says which status (domain/governance/governanceErrors.ts). */
const governanceStatus = { not_found: 404, already_exists: 409, invalid: 400, conflict: 409 } as const;

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const tagged = error as { _tag?: unknown; message?: unknown };
  if (tagged?._tag === "GovernanceRejected") {
    const refused = error as { reason: keyof typeof governanceStatus; field: string; command: string; message: string };
    return reply.status(governanceStatus[refused.reason] ?? 400).send({ error: "GovernanceRejected", message: refused.message, reason: refused.reason, field: refused.field });
  }
  if (typeof tagged?._tag === "string" && statusByTag[tagged._tag] !== undefined) {
    const status = statusByTag[tagged._tag]!;
    if (status >= 500) request.log.error({ err: error }, "storage failure");
    // Every 503 is temporary: say when to come back (the error's own estimate, e.g. a rebuild's, else a few seconds).
    if (status === 503) reply.header("retry-after", String(retryAfterSeconds(error)));
    return reply.status(status).send({ error: tagged._tag, message: String(tagged.message), ...details(error as Record<string, unknown>) });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const { field, message } = validationFailure(fastifyError);
    return reply.status(400).send({ error: "ValidationError", message, ...(field !== undefined ? { field } : {}) });
  }
  const refusal = frameworkRefusal(fastifyError, request);
  if (refusal !== undefined) return reply.status(refusal.status).send(refusal.body);
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return reply.status(fastifyError.statusCode).send({ error: fastifyError.code ?? "BadRequest", message: fastifyError.message });
  }
  const storage = storageFailure(error);
  if (storage !== undefined) {
    request.log.error({ err: error }, "storage failure");
    reply.header("retry-after", "5");
    return reply.status(503).send(storage);
  }
  request.log.error({ err: error }, "unexpected error");
  return reply.status(500).send({ error: "InternalError", message: "an unexpected error occurred; it was logged with the request id", requestId: request.id });
}

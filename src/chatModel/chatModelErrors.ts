/**
 * What can go wrong talking to a chat model, typed so the REST layer maps
 * each to a status (src/server/errorResponses.ts) and a job can decide to
 * retry (Unavailable) or give up on this input (AnswerInvalid).
 */

import type { TokenUsage } from "./chatModelPort.js";

/** The environment variables that point memledger at a chat model (docs/llm.md). */
export const chatModelEnvVars = ["MEMLEDGER_CHAT_MODEL_URL", "MEMLEDGER_CHAT_MODEL", "MEMLEDGER_CHAT_MODEL_API_KEY"] as const;

/** No chat model is configured, and what was asked needs one (409: configure it, then retry). */
export class ChatModelNotConfigured extends Error {
  readonly _tag = "ChatModelNotConfigured";
  override readonly name = "ChatModelNotConfigured";
  /** What needed the model, e.g. "fine extraction". */
  readonly feature: string;
  readonly envVars: readonly string[] = chatModelEnvVars;
  constructor(feature: string) {
    super(
      `${feature} needs a chat model, and none is configured: set MEMLEDGER_CHAT_MODEL_URL (an OpenAI-compatible base URL, e.g. http://localhost:11434/v1 for Ollama) and MEMLEDGER_CHAT_MODEL (the model name), plus MEMLEDGER_CHAT_MODEL_API_KEY if the endpoint wants one; see docs/llm.md`,
    );
    this.feature = feature;
  }
}

/**
 * The endpoint could not answer: unreachable, timed out, refusing our
 * credentials, unknown model, or still rate-limited / failing after the
 * retries (503: fix the setup or retry later).
 */
export class ChatModelUnavailable extends Error {
  readonly _tag = "ChatModelUnavailable";
  override readonly name = "ChatModelUnavailable";
  readonly model: string;
  /** The endpoint's base URL, credentials removed. */
  readonly endpoint: string;
  /** HTTP status of the last failure, when there was one. */
  readonly status?: number;
  /** Calls made, retries included. */
  readonly calls: number;
  /** When the endpoint said how long to wait (Retry-After). */
  readonly retryAfterSeconds?: number;
  constructor(fields: { model: string; endpoint: string; calls: number; status?: number; retryAfterSeconds?: number; message: string }, options?: { cause?: unknown }) {
    super(fields.message, options);
    this.model = fields.model;
    this.endpoint = fields.endpoint;
    this.calls = fields.calls;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.retryAfterSeconds !== undefined) this.retryAfterSeconds = fields.retryAfterSeconds;
  }
}

/**
 * The model answered, but not with JSON matching the schema, even after the
 * bounded repair rounds (502: the model is not good enough for this schema or
 * prompt; use a stronger model or raise the repair rounds).
 */
export class ChatModelAnswerInvalid extends Error {
  readonly _tag = "ChatModelAnswerInvalid";
  override readonly name = "ChatModelAnswerInvalid";
  readonly model: string;
  readonly schemaName: string;
  /** The validation errors of the last answer (ajv's instancePath + message, or the JSON parse error). */
  readonly errors: readonly string[];
  /** The start of the last answer, for diagnosis. */
  readonly lastAnswer: string;
  /** Repair rounds tried after the first answer. */
  readonly repairRounds: number;
  /** What the failed rounds used: a job still reports (and pays for) them. */
  readonly usage?: TokenUsage;
  readonly calls?: number;
  constructor(fields: { model: string; schemaName: string; errors: readonly string[]; lastAnswer: string; repairRounds: number; usage?: TokenUsage; calls?: number }) {
    super(
      `chat model ${fields.model} did not answer with JSON matching schema ${fields.schemaName} after ${fields.repairRounds} repair round(s): ${fields.errors.slice(0, 5).join("; ")}; use a stronger model, simplify the schema or prompt, or raise the repair rounds`,
    );
    this.model = fields.model;
    this.schemaName = fields.schemaName;
    this.errors = fields.errors;
    this.lastAnswer = fields.lastAnswer.slice(0, 500);
    this.repairRounds = fields.repairRounds;
    if (fields.usage !== undefined) this.usage = fields.usage;
    if (fields.calls !== undefined) this.calls = fields.calls;
  }
}

export type ChatModelError = ChatModelNotConfigured | ChatModelUnavailable | ChatModelAnswerInvalid;

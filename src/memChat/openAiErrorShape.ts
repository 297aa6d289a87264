/**
 * OpenAI's error shape, `{ error: { message, type, code } }`, for mem_chat's
 * route: OpenAI clients read `error.message` and `error.code` from it (and turn
 * statuses into their own error classes). `code` is memledger's error tag
 * (ChatModelNotConfigured, CubeNotFound, Forbidden ...), `param` the field at
 * fault when there is one, and the typed error's other details ride along.
 */

export interface OpenAiErrorBody {
  readonly error: { readonly message: string; readonly type: string; readonly code: string; readonly param: string | null; readonly [detail: string]: unknown };
}

/** OpenAI's error types by status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 409) return "conflict_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** memledger's error body (`{ error: <tag>, message, ...details }`) in OpenAI's shape. */
export function toOpenAiError(status: number, body: unknown): OpenAiErrorBody {
  const fields = typeof body === "object" && body !== null ? { ...(body as Record<string, unknown>) } : {};
  const code = typeof fields.error === "string" ? fields.error : "Error";
  const message = typeof fields.message === "string" ? fields.message : `request failed with status ${status}`;
  const param = typeof fields.field === "string" ? fields.field : null;
  delete fields.error;
  delete fields.message;
  delete fields.field;
  return { error: { ...fields, message, type: openAiErrorType(status), code, param } };
}

export const openAiErrorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["message", "type", "code"],
      additionalProperties: true,
      properties: { message: { type: "string" }, type: { type: "string" }, code: { type: "string" }, param: { type: ["string", "null"] } },
    },
  },
} as const;

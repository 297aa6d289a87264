import { isValidTime } from "../../domain/memory/validation.js";
import { messageRoles, messageText, readerModes, type AddMessagesRequest } from "./conversationMessage.js";

export const maxMessagesPerCall = 1_000;

/**
 * The first problem of a messages request, naming the field, or undefined. The
 * REST schema checks shapes too; this is for library callers and for rules a
 * schema cannot say (a turn with nothing in it, ids unique in the batch).
 */
export function checkAddMessages(request: AddMessagesRequest): { readonly field: string; readonly problem: string } | undefined {
  if (request === null || typeof request !== "object") return { field: "body", problem: "must be an object with messages" };
  if (!Array.isArray(request.messages) || request.messages.length === 0) return { field: "messages", problem: "must list at least one message" };
  if (request.messages.length > maxMessagesPerCall) return { field: "messages", problem: `lists ${request.messages.length} messages; send at most ${maxMessagesPerCall} per call` };
  if (request.mode !== undefined && !(readerModes as readonly string[]).includes(request.mode)) return { field: "mode", problem: `must be one of ${readerModes.join(", ")}` };
  for (const name of ["userId", "sessionId"] as const) {
    const value = request[name];
    if (value !== undefined && (typeof value !== "string" || value === "")) return { field: name, problem: "must be a non-empty string" };
  }
  const seen = new Set<string>();
  for (const [i, message] of request.messages.entries()) {
    const at = `messages[${i}]`;
    if (message === null || typeof message !== "object") return { field: at, problem: "must be an object with role and content or parts" };
    if (!(messageRoles as readonly string[]).includes(message.role)) return { field: `${at}.role`, problem: `must be one of ${messageRoles.join(", ")}` };
    if (message.at !== undefined && !isValidTime(message.at)) return { field: `${at}.at`, problem: "must be an ISO-8601 time" };
    if (message.messageId !== undefined) {
      if (typeof message.messageId !== "string" || message.messageId === "") return { field: `${at}.messageId`, problem: "must be a non-empty string" };
      if (seen.has(message.messageId)) return { field: `${at}.messageId`, problem: `repeats ${message.messageId}; message ids must be unique in a call` };
      seen.add(message.messageId);
    }
    for (const [j, part] of (message.parts ?? []).entries()) {
      if (part.type === "image" && !(part.url ?? part.ref)) return { field: `${at}.parts[${j}]`, problem: "is an image without url or ref; give one of them" };
    }
    if (message.toolCall !== undefined && (typeof message.toolCall.tool !== "string" || message.toolCall.tool === "" || !["success", "error"].includes(message.toolCall.outcome))) {
      return { field: `${at}.toolCall`, problem: "needs a tool name and an outcome (success or error)" };
    }
    if (messageText(message).trim() === "") return { field: at, problem: "says nothing: give content, a text or image part, or a toolCall" };
  }
  return undefined;
}

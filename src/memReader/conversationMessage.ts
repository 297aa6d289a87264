import type { JsonValue } from "../jobs/jobBusPort.js";

/** Who spoke a turn, as chat APIs name it. */
export const messageRoles = ["user", "assistant", "system", "tool"] as const;
export type MessageRole = (typeof messageRoles)[number];

/** A multimodal part: text, or an image given by URL or by a reference the caller resolves (a blob id, a file name). */
export type MessagePart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image"; readonly url?: string; readonly ref?: string; readonly caption?: string };

/** One call an agent made to a tool, as the conversation recorded it. */
export interface ToolCallTrace {
  readonly tool: string;
  readonly arguments: JsonValue;
  /** The tool's answer: JSON, or text. */
  readonly result: JsonValue;
  readonly outcome: "success" | "error";
}

/** One chat turn. `content` or `parts` carries its text; a tool turn may carry only its trace. */
export interface ConversationMessage {
  readonly role: MessageRole;
  /** The speaker's name ("Caroline"); the role stands in when absent. */
  readonly speaker?: string;
  readonly content?: string;
  readonly parts?: readonly MessagePart[];
  /** ISO-8601 time the turn was said. */
  readonly at?: string;
  /** The caller's id of the turn; sources point at it. Defaults to the raw unit's id. */
  readonly messageId?: string;
  /** Overrides the request's session for this turn. */
  readonly sessionId?: string;
  readonly toolCall?: ToolCallTrace;
}

/** fast: windows of turns, no model, deterministic. fine: a chat model extracts facts, events, preferences and persona. */
export const readerModes = ["fast", "fine"] as const;
export type ReaderMode = (typeof readerModes)[number];

export interface AddMessagesRequest {
  readonly messages: readonly ConversationMessage[];
  /** The user the conversation is about (the units' userId and subject). */
  readonly userId?: string;
  /** The session of turns that name none. */
  readonly sessionId?: string;
  /** Default fast. */
  readonly mode?: ReaderMode;
  /** Default true: the raw turns are stored, a job extracts; false extracts before answering. */
  readonly async?: boolean;
}

/** The image parts of a turn that name an image (URL or reference). */
export function imagesOf(message: ConversationMessage): readonly { readonly imageRef: string; readonly caption?: string }[] {
  return (message.parts ?? []).flatMap((part) => {
    if (part.type !== "image") return [];
    const imageRef = part.url ?? part.ref;
    if (imageRef === undefined || imageRef === "") return [];
    return [{ imageRef, ...(part.caption !== undefined && part.caption.trim() !== "" ? { caption: part.caption } : {}) }];
  });
}

const oneLine = (value: JsonValue): string => (typeof value === "string" ? value : JSON.stringify(value));

/** The tool call in a sentence, for text search and the reader's windows. */
export function toolCallSummary(call: ToolCallTrace): string {
  const result = oneLine(call.result);
  return `Called tool ${call.tool} with ${JSON.stringify(call.arguments)}: ${call.outcome}${result !== "" ? `, result ${result.length > 500 ? `${result.slice(0, 500)}…` : result}` : ""}`;
}

/** What a turn says as text: its content or text parts, images as their captions, a tool call summarised. */
export function messageText(message: ConversationMessage): string {
  const pieces: string[] = [];
  if (message.content !== undefined && message.content.trim() !== "") pieces.push(message.content);
  for (const part of message.parts ?? []) {
    if (part.type === "text" && part.text.trim() !== "") pieces.push(part.text);
    if (part.type === "image") pieces.push(`[image${part.caption ? `: ${part.caption}` : ""}]`);
  }
  if (message.toolCall !== undefined) pieces.push(`[${toolCallSummary(message.toolCall)}]`);
  return pieces.join(" ");
}

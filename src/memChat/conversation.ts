import type { ChatContentPart, ChatMessage } from "../chatModel/chatModelPort.js";
import type { OpenAiContentPart, OpenAiMessage } from "./chatCompletionRequest.js";

/**
 * OpenAI chat messages -> the chat model port's messages, and the text a
 * memory search asks with. Pure: no I/O.
 */

/** A request mem_chat cannot forward faithfully: refused (400) rather than silently changed. */
export class UnsupportedChatMessage extends Error {
  readonly _tag = "InvalidRequest";
  readonly field: string;
  constructor(index: number, message: string) {
    super(`messages[${index}]: ${message}`);
    this.field = `messages[${index}]`;
  }
}

const imageUrlOf = (part: OpenAiContentPart): string | undefined => {
  const value = (part as { image_url?: unknown }).image_url;
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { url?: unknown }).url === "string") return (value as { url: string }).url;
  return undefined;
};

function partsOf(content: readonly OpenAiContentPart[], index: number): ChatContentPart[] {
  return content.map((part, p) => {
    if (part.type === "text" && typeof (part as { text?: unknown }).text === "string") return { type: "text", text: (part as { text: string }).text };
    const imageUrl = part.type === "image_url" ? imageUrlOf(part) : undefined;
    if (imageUrl !== undefined) return { type: "image_url", imageUrl };
    throw new UnsupportedChatMessage(index, `content part ${p} of type "${part.type}" is not supported; send text and image_url parts`);
  });
}

/**
 * Tool and function turns are refused: the upstream port carries system, user
 * and assistant turns only, and dropping a tool result would change what the
 * model is answering. `developer` is OpenAI's newer name for `system`.
 */
export function toChatMessages(messages: readonly OpenAiMessage[]): ChatMessage[] {
  return messages.map((message, index) => {
    if (message.role === "tool" || message.role === "function") {
      throw new UnsupportedChatMessage(index, `role "${message.role}" is not supported by mem_chat (the upstream gets system, user and assistant turns); put the tool's result in a user or assistant turn`);
    }
    const role = message.role === "developer" ? "system" : message.role;
    const content = message.content ?? "";
    if (typeof content === "string") return { role, content };
    if (role !== "user") return { role, content: textOf(content) };
    return { role, content: partsOf(content, index) };
  });
}

/** The text of a message's content (image parts left out). */
export function textOf(content: OpenAiMessage["content"]): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  return content
    .map((part) => (part.type === "text" && typeof (part as { text?: unknown }).text === "string" ? (part as { text: string }).text : ""))
    .filter((text) => text !== "")
    .join("\n");
}

/** Characters of the search query at most (the search route takes 4,000). */
export const maxQueryLength = 2_000;

/**
 * What the memory search asks with: the last user turn, and the one before it
 * when the last is short ("and her sister?" means little alone). The most
 * recent words are kept when it is long.
 */
export function memoryQueryOf(messages: readonly OpenAiMessage[]): string {
  const userTurns = messages.filter((m) => m.role === "user").map((m) => textOf(m.content).trim()).filter((text) => text !== "");
  const last = userTurns.at(-1);
  if (last === undefined) return "";
  const previous = userTurns.at(-2);
  const query = last.length < 80 && previous !== undefined ? `${previous}\n${last}` : last;
  return query.length > maxQueryLength ? query.slice(query.length - maxQueryLength) : query;
}

/** The last user turn's text, as MemReader remembers it. */
export function lastUserTurn(messages: readonly OpenAiMessage[]): string | undefined {
  const last = [...messages].reverse().find((m) => m.role === "user");
  const text = last === undefined ? "" : textOf(last.content).trim();
  return text === "" ? undefined : text;
}

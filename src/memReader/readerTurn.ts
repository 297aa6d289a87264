import type { MemoryView } from "../../projections/memoryView.js";
import type { NewMemoryInput } from "../memory/memoryService.js";
import { imagesOf, messageText, type AddMessagesRequest, type ConversationMessage, type MessageRole, type ToolCallTrace } from "./conversationMessage.js";

/** A turn as the reader works on it: rebuilt from its raw unit, so a job needs nothing but the unit ids. */
export interface ReaderTurn {
  /** The raw_source unit that keeps the turn. */
  readonly rawMemoryId: string;
  readonly messageId: string;
  readonly role: MessageRole;
  /** The speaker's name, or the role when none was given. */
  readonly speaker: string;
  readonly at?: string;
  readonly sessionId?: string;
  readonly text: string;
  readonly images: readonly { readonly imageRef: string; readonly caption?: string }[];
  readonly toolCall?: ToolCallTrace;
}

/** Tags every raw turn carries, so a search can leave raw turns out or ask only for them. */
export const rawTurnTag = "memreader:raw";

/**
 * The raw_source unit of one turn, stored before any extraction. Activated,
 * not generated: the turn is the ground truth and is searchable at once
 * (the raw-turn baseline), and `generated` means "a job will activate this",
 * which no job would. Everything needed to rebuild the turn is in it.
 */
export function rawTurnUnit(message: ConversationMessage, request: AddMessagesRequest, cubeId: string, rawMemoryId: string, position: number): NewMemoryInput {
  const sessionId = message.sessionId ?? request.sessionId;
  const images = imagesOf(message);
  return {
    cubeId,
    memoryId: rawMemoryId,
    text: messageText(message),
    memoryType: "raw_source",
    tags: [rawTurnTag, ...(message.toolCall ? [`tool:${message.toolCall.tool}`] : []), ...(images.length > 0 ? ["image"] : [])],
    sources: [{ kind: "message", ref: message.messageId ?? rawMemoryId, ...(message.at !== undefined ? { at: message.at } : {}) }],
    ...(request.userId !== undefined ? { userId: request.userId } : {}),
    ...(sessionId !== undefined ? { sessionId } : {}),
    ...(message.at !== undefined ? { eventTime: message.at } : {}),
    metadata: {
      role: message.role,
      speaker: message.speaker ?? message.role,
      messageId: message.messageId ?? rawMemoryId,
      position,
      ...(message.at !== undefined ? { at: message.at } : {}),
      ...(message.parts !== undefined ? { partsJson: JSON.stringify(message.parts) } : {}),
      ...(images.length > 0 ? { imageRefs: images.map((i) => i.imageRef).join(" "), imageCaptions: JSON.stringify(images.map((i) => i.caption ?? null)) } : {}),
      ...(message.toolCall !== undefined
        ? { toolCallJson: JSON.stringify(message.toolCall), tool: message.toolCall.tool, toolOutcome: message.toolCall.outcome }
        : {}),
    },
  };
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** The turn a raw unit keeps; undefined when the unit was erased (its content is gone) or is not a raw turn. */
export function turnOfRawUnit(view: MemoryView): ReaderTurn | undefined {
  const content = view.content;
  if (content === null || content === undefined) return undefined;
  const meta = content.metadata;
  const messageId = text(meta.messageId);
  const role = text(meta.role) as MessageRole | undefined;
  if (messageId === undefined || role === undefined) return undefined;
  const parts = text(meta.partsJson) !== undefined ? (JSON.parse(meta.partsJson as string) as ConversationMessage["parts"]) : undefined;
  const toolCall = text(meta.toolCallJson) !== undefined ? (JSON.parse(meta.toolCallJson as string) as ToolCallTrace) : undefined;
  const at = text(meta.at);
  return {
    rawMemoryId: view.memoryId,
    messageId,
    role,
    speaker: text(meta.speaker) ?? role,
    ...(at !== undefined ? { at } : {}),
    ...(content.sessionId !== undefined ? { sessionId: content.sessionId } : {}),
    text: content.text,
    images: imagesOf({ role, ...(parts !== undefined ? { parts } : {}) }),
    ...(toolCall !== undefined ? { toolCall } : {}),
  };
}

import type { NewMemoryInput } from "../memory/memoryService.js";
import type { MemorySource } from "../../domain/memory/memoryContent.js";
import { toolCallSummary } from "./conversationMessage.js";
import { memoryTypeOfKind, type ExtractedMemory } from "./factExtraction.js";
import type { ReaderTurn } from "./readerTurn.js";
import type { TurnWindow } from "./turnWindows.js";

/** A unit the reader will create, with the stable label its id and command id are derived from (so a rerun creates nothing new). */
export interface PlannedUnit {
  readonly label: string;
  readonly input: Omit<NewMemoryInput, "cubeId" | "memoryId">;
}

/** Tags every unit the reader derives, so a search can ask for (or leave out) what it extracted. */
export const derivedTag = "memreader";

const sourceOf = (turn: ReaderTurn): MemorySource => ({ kind: "message", ref: turn.messageId, ...(turn.at !== undefined ? { at: turn.at } : {}) });

const about = (userId: string | undefined, sessionId: string | undefined) => ({ ...(userId !== undefined ? { userId } : {}), ...(sessionId !== undefined ? { sessionId } : {}) });

export function windowUnit(window: TurnWindow, index: number, userId?: string): PlannedUnit {
  return {
    label: `window:${index}`,
    input: {
      text: window.text,
      memoryType: "long_term",
      tags: [derivedTag],
      sources: window.sources,
      ...about(userId, window.sessionId),
      ...(window.eventTime !== undefined ? { eventTime: window.eventTime } : {}),
      metadata: { reader: "fast", turns: window.turns.length, firstMessageId: window.turns[0]!.messageId },
    },
  };
}

/** A tool call as its own unit: structured payload in flat metadata, retrievable by tool name (tag `tool:<name>` or metadata `tool`). */
export function toolUnit(turn: ReaderTurn, userId?: string): PlannedUnit | undefined {
  const call = turn.toolCall;
  if (call === undefined) return undefined;
  return {
    label: `tool:${turn.messageId}`,
    input: {
      text: toolCallSummary(call),
      memoryType: "tool",
      tags: [derivedTag, `tool:${call.tool}`],
      sources: [sourceOf(turn)],
      ...about(userId, turn.sessionId),
      ...(turn.at !== undefined ? { eventTime: turn.at } : {}),
      metadata: {
        tool: call.tool,
        toolOutcome: call.outcome,
        toolArguments: JSON.stringify(call.arguments),
        toolResult: typeof call.result === "string" ? call.result : JSON.stringify(call.result),
        messageId: turn.messageId,
      },
    },
  };
}

/** An image as its own unit: the description when a vision model gave one, else the caption, else the reference. */
export function imageUnits(turn: ReaderTurn, describe: (imageRef: string) => string | undefined, userId?: string): readonly PlannedUnit[] {
  return turn.images.map((image, i) => {
    const description = describe(image.imageRef);
    return {
      label: `image:${turn.messageId}:${i}`,
      input: {
        text: description ?? image.caption ?? `Image ${image.imageRef} shared by ${turn.speaker}`,
        memoryType: "long_term",
        tags: [derivedTag, "image"],
        sources: [sourceOf(turn)],
        ...about(userId, turn.sessionId),
        ...(turn.at !== undefined ? { eventTime: turn.at } : {}),
        metadata: {
          imageRef: image.imageRef,
          ...(image.caption !== undefined ? { imageCaption: image.caption } : {}),
          ...(description !== undefined ? { imageDescription: description } : {}),
          speaker: turn.speaker,
          messageId: turn.messageId,
        },
      },
    };
  });
}

/** A fact, event, preference or persona attribute the model found; eventTime is the event's resolved date, else its latest turn's time. */
export function extractedUnit(memory: ExtractedMemory, label: string, userId?: string): PlannedUnit {
  const latest = memory.turns.findLast((t) => t.at !== undefined)?.at;
  const eventTime = memory.date ?? latest;
  return {
    label,
    input: {
      text: memory.text,
      memoryType: memoryTypeOfKind[memory.kind],
      tags: [derivedTag, memory.kind],
      sources: memory.turns.map(sourceOf),
      ...about(userId, memory.turns[0]!.sessionId),
      ...(eventTime !== undefined ? { eventTime } : {}),
      metadata: { reader: "fine", kind: memory.kind, ...(memory.date !== undefined ? { resolvedDate: memory.date } : {}) },
    },
  };
}

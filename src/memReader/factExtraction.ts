import type { ChatModelPort, JsonSchemaObject, StructuredAnswer } from "../chatModel/chatModelPort.js";
import type { Prompt } from "../chatModel/promptLibrary.js";
import { isValidTime } from "../../domain/memory/validation.js";
import type { MemoryType } from "../../domain/memory/memoryContent.js";
import type { ReaderTurn } from "./readerTurn.js";
import { turnLine } from "./turnWindows.js";

export const extractedKinds = ["fact", "event", "preference", "persona"] as const;
export type ExtractedKind = (typeof extractedKinds)[number];

/** What a kind becomes: preferences and persona attributes have their own memory types. */
export const memoryTypeOfKind: Readonly<Record<ExtractedKind, MemoryType>> = { fact: "long_term", event: "long_term", preference: "preference", persona: "user" };

/** The model's answer, as the schema asks for it. */
export interface ExtractionAnswer {
  readonly memories: readonly { readonly kind: ExtractedKind; readonly text: string; readonly date: string | null; readonly turnIds: readonly string[] }[];
}

export const extractionSchema: JsonSchemaObject = {
  type: "object",
  additionalProperties: false,
  required: ["memories"],
  properties: {
    memories: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["kind", "text", "date", "turnIds"],
        properties: {
          kind: { type: "string", enum: [...extractedKinds] },
          text: { type: "string", minLength: 1 },
          date: { type: ["string", "null"] },
          turnIds: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
};

/** One memory the model found, its turns checked against the batch. */
export interface ExtractedMemory {
  readonly kind: ExtractedKind;
  readonly text: string;
  /** The resolved absolute date of an event (ISO date). */
  readonly date?: string;
  /** The cited turns that exist, in batch order. */
  readonly turns: readonly ReaderTurn[];
}

/** What the model answered that did not hold up, reported in the job result. */
export type ExtractionRejects = {
  /** Turn ids the model cited that are not in the batch. */
  readonly unknownTurnIds: readonly string[];
  /** Memories left with no existing turn: without a source they are not kept. */
  readonly unsourcedMemories: number;
  /** Dates that were not ISO dates; the memory is kept without one. */
  readonly invalidDates: readonly string[];
};

/** Short labels ("t1", "t2"…) instead of long message ids: fewer ids for a model to copy wrong. */
export const turnLabel = (index: number) => `t${index + 1}`;

export function renderTurns(turns: readonly ReaderTurn[]): string {
  return turns.map((turn, i) => `[${turnLabel(i)}] ${turnLine(turn)}`).join("\n");
}

/** Keeps what cites real turns; reports the rest. Pure, so it is tested without a model. */
export function checkExtraction(answer: ExtractionAnswer, turns: readonly ReaderTurn[]): { readonly memories: readonly ExtractedMemory[]; readonly rejects: ExtractionRejects } {
  const byLabel = new Map(turns.map((turn, i) => [turnLabel(i), turn] as const));
  // The model may also cite a turn by its message id.
  const byMessageId = new Map(turns.map((turn) => [turn.messageId, turn] as const));
  const unknownTurnIds: string[] = [];
  const invalidDates: string[] = [];
  let unsourcedMemories = 0;
  const memories: ExtractedMemory[] = [];
  for (const item of answer.memories) {
    const cited = new Set<ReaderTurn>();
    for (const id of item.turnIds) {
      const turn = byLabel.get(id) ?? byMessageId.get(id);
      if (turn === undefined) unknownTurnIds.push(id);
      else cited.add(turn);
    }
    if (cited.size === 0) {
      unsourcedMemories++;
      continue;
    }
    const date = item.date !== null && item.date.trim() !== "" ? normaliseDate(item.date) : undefined;
    if (item.date !== null && item.date.trim() !== "" && date === undefined) invalidDates.push(item.date);
    memories.push({ kind: item.kind, text: item.text.trim(), ...(date !== undefined ? { date } : {}), turns: turns.filter((t) => cited.has(t)) });
  }
  return { memories, rejects: { unknownTurnIds, unsourcedMemories, invalidDates } };
}

/** "2023-05" -> "2023-05-01": a month is dated to its first day (eventTime needs a day). */
function normaliseDate(date: string): string | undefined {
  const value = /^\d{4}-\d{2}$/.test(date.trim()) ? `${date.trim()}-01` : date.trim();
  return isValidTime(value) && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

/** Turns sent to the model in one call; a long conversation is read in chunks (never across sessions). */
export const turnsPerExtraction = 40;

/** Asks the model once for one chunk of turns. */
export function askForMemories(model: ChatModelPort, prompt: Prompt, turns: readonly ReaderTurn[], signal?: AbortSignal): Promise<StructuredAnswer<ExtractionAnswer>> {
  return model.completeStructured<ExtractionAnswer>({
    messages: [{ role: "user", content: prompt.render({ turns: renderTurns(turns) }) }],
    schemaName: "memreader_extraction",
    schema: extractionSchema,
    temperature: 0,
    ...(signal !== undefined ? { signal } : {}),
  });
}

import { createHash } from "node:crypto";
import { evolve } from "../domain/memory/evolve.js";
import type { MemoryContent } from "../domain/memory/memoryContent.js";
import type { MemoryEvent } from "../domain/memory/memoryEvents.js";
import type { ExistingMemory } from "../domain/memory/memoryState.js";
import type { Envelope } from "./envelope.js";

/**
 * The memory view as validity intervals: every event of a unit closes the
 * unit's current interval at the event's position and opens the next one, so
 * "the cube as of position P" is a plain range query, never a replay.
 *
 * Content is kept apart from state: a content version is identified by the
 * global position of the event that introduced it (created, edited,
 * reverted). Status-only events (activate, archive, ...) reuse the content
 * version in force, and every read model that indexes text or vectors keys
 * its rows by that same position, so they join without a mapping table.
 */
export interface MemoryIntervalState {
  /** Folded state with `content` left null: the text lives in the content version. */
  readonly unit: ExistingMemory;
  /** Position of the content version in force; null once erased or shredded. */
  readonly contentPosition: number | null;
  readonly subjectId?: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface MemoryIntervalStep {
  readonly next: MemoryIntervalState;
  /** A new content version to store at the event's position. */
  readonly newContent?: MemoryContent;
  /** Erasure: every stored content version of the unit must go (derived copies of personal data). */
  readonly eraseContent: boolean;
}

/** Folds one memory event into the unit's interval state. Pure. */
export function stepMemoryInterval(previous: MemoryIntervalState | undefined, envelope: Envelope, event: MemoryEvent): MemoryIntervalStep {
  const folded = evolve(previous?.unit ?? { status: "absent", revision: -1 }, event) as ExistingMemory;
  const unit: ExistingMemory = { ...folded, revision: envelope.revision, content: null };
  const carried = contentOf(event);
  const eraseContent = event.type === "MemoryErased";
  const contentPosition = eraseContent ? null : carried === undefined ? previous?.contentPosition ?? null : carried === null ? null : envelope.position;
  const subjectId = envelope.metadata.subjectId ?? previous?.subjectId;
  return {
    next: {
      unit,
      contentPosition,
      ...(subjectId !== undefined ? { subjectId } : {}),
      createdAt: previous?.createdAt ?? envelope.metadata.recordedAt,
      createdBy: previous?.createdBy ?? envelope.metadata.actor,
    },
    ...(carried ? { newContent: carried } : {}),
    eraseContent,
  };
}

/** The content an event carries: undefined when it carries none, null when it was shredded. */
function contentOf(event: MemoryEvent): MemoryContent | null | undefined {
  switch (event.type) {
    case "MemoryCreated":
    case "MemoryEdited":
    case "MemoryReverted":
      return event.data.content;
    default:
      return undefined;
  }
}

/** The text a unit is searched by: its title (MemOS `key`) and its body. */
export function searchableText(content: Pick<MemoryContent, "text" | "key">): string {
  return content.key ? `${content.key}. ${content.text}` : content.text;
}

/** Identity of a text for caches (embeddings): SHA-256, hex. */
export function contentHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

import type { MemorySource } from "../../domain/memory/memoryContent.js";
import type { ReaderTurn } from "./readerTurn.js";

export interface WindowSettings {
  /** Turns per window. */
  readonly size: number;
  /** Turns a window shares with the one before it (less than size). */
  readonly overlap: number;
}

export const defaultWindowSettings: WindowSettings = { size: 4, overlap: 1 };

export interface TurnWindow {
  readonly turns: readonly ReaderTurn[];
  /** One line per turn: "[2023-05-08 13:56] Caroline: …". */
  readonly text: string;
  /** The time of the window's first dated turn. */
  readonly eventTime?: string;
  readonly sessionId?: string;
  /** One per turn, pointing at that exact turn. */
  readonly sources: readonly MemorySource[];
}

/** "2023-05-08T13:56:00Z" -> "2023-05-08 13:56": the time as the conversation wrote it, no zone conversion. */
export function displayTime(at: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}))?/.exec(at);
  if (match === null) return at;
  return match[2] !== undefined ? `${match[1]} ${match[2]}` : match[1]!;
}

export const turnLine = (turn: ReaderTurn): string => `${turn.at !== undefined ? `[${displayTime(turn.at)}] ` : ""}${turn.speaker}: ${turn.text}`;

/** System turns instruct the agent; they are kept raw but are not part of what was said. */
const isSaid = (turn: ReaderTurn) => turn.role !== "system";

/** Consecutive turns of one session: a window never spans two. */
function sessionRuns(turns: readonly ReaderTurn[]): ReaderTurn[][] {
  const runs: ReaderTurn[][] = [];
  for (const turn of turns) {
    const last = runs.at(-1);
    if (last !== undefined && last[0]!.sessionId === turn.sessionId) last.push(turn);
    else runs.push([turn]);
  }
  return runs;
}

function windowOf(turns: readonly ReaderTurn[]): TurnWindow {
  const dated = turns.find((t) => t.at !== undefined);
  const sessionId = turns[0]!.sessionId;
  return {
    turns,
    text: turns.map(turnLine).join("\n"),
    ...(dated?.at !== undefined ? { eventTime: dated.at } : {}),
    ...(sessionId !== undefined ? { sessionId } : {}),
    sources: turns.map((t) => ({ kind: "message" as const, ref: t.messageId, ...(t.at !== undefined ? { at: t.at } : {}) })),
  };
}

/**
 * Fast mode: overlapping windows of consecutive turns, in order, per session.
 * Deterministic (same turns, same windows); the last window of a run is never
 * a tail already inside the previous one.
 */
export function turnWindows(turns: readonly ReaderTurn[], settings: WindowSettings = defaultWindowSettings): readonly TurnWindow[] {
  if (!Number.isInteger(settings.size) || settings.size < 1) throw new RangeError(`window size must be a whole number of turns >= 1, not ${settings.size}`);
  if (!Number.isInteger(settings.overlap) || settings.overlap < 0 || settings.overlap >= settings.size) {
    throw new RangeError(`window overlap must be a whole number of turns from 0 to size - 1 (${settings.size - 1}), not ${settings.overlap}`);
  }
  const step = settings.size - settings.overlap;
  const windows: TurnWindow[] = [];
  for (const run of sessionRuns(turns.filter(isSaid))) {
    for (let start = 0; ; start += step) {
      windows.push(windowOf(run.slice(start, start + settings.size)));
      if (start + settings.size >= run.length) break;
    }
  }
  return windows;
}

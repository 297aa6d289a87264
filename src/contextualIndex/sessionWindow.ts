import type { MemoryContent } from "../../domain/memory/memoryContent.js";
import type { ContextualIndexSettings } from "./contextualIndexSettings.js";

/**
 * Which turns are a unit's neighbours, pure. A session is the units of one
 * cube, one memory type and one `sessionId`, in the order they were created
 * (log order): raw MemReader turns and the facts derived from them carry the
 * same session id but are never each other's context. A unit without a
 * session id has no neighbours, and no window ever crosses into another session.
 */
export function sessionKeyOf(cubeId: string, memoryType: string, content: Pick<MemoryContent, "sessionId"> | null): string | undefined {
  const sessionId = content?.sessionId;
  if (sessionId === undefined || sessionId === "") return undefined;
  return `${cubeId}\u001f${memoryType}\u001f${sessionId}`;
}

/** A session's turn as the window needs it: its place in the session and its words. */
export interface SessionTurn {
  readonly memoryId: string;
  /** Log position of the unit's creation: the turn order. */
  readonly order: number;
  readonly words: string;
}

export interface TurnWindow<T extends SessionTurn> {
  /** Nearest first. */
  readonly before: readonly T[];
  /** Nearest first. */
  readonly after: readonly T[];
}

/**
 * The neighbours of the turn at `order` among `session` (one session's turns,
 * any order, the turn itself may be among them).
 */
export function windowOf<T extends SessionTurn>(session: readonly T[], order: number, settings: ContextualIndexSettings): TurnWindow<T> {
  const sorted = [...session].sort((a, b) => a.order - b.order);
  const before = sorted.filter((t) => t.order < order).reverse().slice(0, settings.previousTurns);
  const after = sorted.filter((t) => t.order > order).slice(0, settings.followingTurns);
  return { before, after };
}

/**
 * The turns whose window holds the turn at `order`: its `followingTurns`
 * predecessors and its `previousTurns` successors. They are re-indexed when
 * that turn arrives, changes or is erased (an erased neighbour's words must
 * not stay in anyone's entry).
 */
export function turnsSeeing<T extends SessionTurn>(session: readonly T[], order: number, settings: ContextualIndexSettings): T[] {
  const mirrored = windowOf(session, order, { ...settings, previousTurns: settings.followingTurns, followingTurns: settings.previousTurns });
  return [...mirrored.before, ...mirrored.after];
}

/** The words a turn's context column holds: its neighbours', in conversation order. */
export function contextWords(window: TurnWindow<SessionTurn>): string {
  return [...[...window.before].reverse(), ...window.after].map((t) => t.words).filter((w) => w !== "").join(" ");
}

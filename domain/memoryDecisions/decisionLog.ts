import type { DecisionChange, DecisionEvent, DecisionMode, DecisionRecord } from "./decisionEvents.js";
import { defaultDecisionMode } from "./decisionEvents.js";

/** applied: its commands ran. proposed: waiting for a person. rejected / reverted: nothing of it stands. */
export type DecisionStatus = "applied" | "proposed" | "rejected" | "reverted";

/** A decision as listed and explained. */
export interface DecisionView extends DecisionRecord {
  readonly status: DecisionStatus;
  readonly changes: readonly DecisionChange[];
  readonly decidedAt: string;
  /** Who accepted, rejected or reverted it last, and when. */
  readonly settledBy?: string;
  readonly settledAt?: string;
}

export interface DecisionLog {
  readonly mode: DecisionMode;
  /** Oldest first. */
  readonly decisions: readonly DecisionView[];
}

/** An event of the stream with the envelope facts the fold uses. */
export interface LoggedDecisionEvent {
  readonly event: DecisionEvent;
  readonly recordedAt: string;
  readonly actor: string;
}

/** Folds a cube's decision stream; events about an unknown decision are ignored (they cannot be written by this code). */
export function foldDecisionLog(events: readonly LoggedDecisionEvent[]): DecisionLog {
  let mode: DecisionMode = defaultDecisionMode;
  const byId = new Map<string, DecisionView>();
  for (const { event, recordedAt, actor } of events) {
    switch (event.type) {
      case "DecisionModeSet":
        mode = event.data.mode;
        break;
      case "MemoryDecisionMade":
        byId.set(event.data.decisionId, { ...event.data, status: "applied", decidedAt: recordedAt });
        break;
      case "MemoryDecisionProposed":
        byId.set(event.data.decisionId, { ...event.data, status: "proposed", changes: [], decidedAt: recordedAt });
        break;
      case "MemoryDecisionAccepted":
      case "MemoryDecisionRejected":
      case "MemoryDecisionReverted": {
        const known = byId.get(event.data.decisionId);
        if (known === undefined) break;
        const status: DecisionStatus = event.type === "MemoryDecisionAccepted" ? "applied" : event.type === "MemoryDecisionRejected" ? "rejected" : "reverted";
        const changes = event.type === "MemoryDecisionAccepted" ? event.data.changes : known.changes;
        byId.set(known.decisionId, { ...known, status, changes, settledBy: actor, settledAt: recordedAt });
        break;
      }
    }
  }
  return { mode, decisions: [...byId.values()] };
}

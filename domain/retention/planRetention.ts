import type { MemoryStatus } from "../memory/memoryEvents.js";
import type { MemoryType } from "../memory/memoryContent.js";
import { ruleFor, type RetentionPolicy } from "./retentionPolicy.js";

/** What a sweep needs to know of a unit. */
export interface RetentionCandidate {
  readonly memoryId: string;
  readonly status: MemoryStatus;
  readonly memoryType: MemoryType;
  /** Last change. */
  readonly updatedAt: string;
  /** Active legal holds covering the unit. */
  readonly holdIds: readonly string[];
}

export type RetentionAction = "archive" | "freeze" | "erase";

export interface PlannedAction {
  readonly memoryId: string;
  readonly action: RetentionAction;
  readonly memoryType: MemoryType;
  /** The rule and age that call for it, in words. */
  readonly why: string;
}

export interface SkippedUnit {
  readonly memoryId: string;
  readonly action: RetentionAction;
  readonly why: string;
  readonly holdIds: readonly string[];
}

export interface RetentionPlan {
  readonly at: string;
  readonly actions: readonly PlannedAction[];
  readonly skipped: readonly SkippedUnit[];
}

const dayMs = 86_400_000;

/** Which statuses each action can leave (the lifecycle machine's rules; frozen units only leave by erasure). */
const from: Readonly<Record<RetentionAction, readonly MemoryStatus[]>> = {
  archive: ["activated"],
  freeze: ["activated", "archived"],
  erase: ["generated", "activated", "archived", "merged", "frozen"],
};

/**
 * The sweep as a pure function: for each unit, the strongest step its rule
 * makes due (erase over freeze over archive) that its status allows; units
 * under legal hold are skipped and reported with their holds.
 */
export function planRetention(policy: RetentionPolicy, units: readonly RetentionCandidate[], now: Date): RetentionPlan {
  const actions: PlannedAction[] = [];
  const skipped: SkippedUnit[] = [];
  for (const unit of units) {
    const rule = ruleFor(policy, unit.memoryType);
    if (rule === undefined) continue;
    const ageDays = (now.getTime() - Date.parse(unit.updatedAt)) / dayMs;
    const due = (["erase", "freeze", "archive"] as const).find((action) => {
      const days = action === "erase" ? rule.eraseAfterDays : action === "freeze" ? rule.freezeAfterDays : rule.archiveAfterDays;
      return days !== undefined && ageDays >= days && from[action].includes(unit.status);
    });
    if (due === undefined) continue;
    const days = due === "erase" ? rule.eraseAfterDays : due === "freeze" ? rule.freezeAfterDays : rule.archiveAfterDays;
    const why = `${due} after ${days} days unchanged (rule for memoryType ${rule.memoryType}); unchanged for ${Math.floor(ageDays)} days`;
    if (unit.holdIds.length > 0) skipped.push({ memoryId: unit.memoryId, action: due, why: `under legal hold ${unit.holdIds.join(", ")}`, holdIds: unit.holdIds });
    else actions.push({ memoryId: unit.memoryId, action: due, memoryType: unit.memoryType, why });
  }
  return { at: now.toISOString(), actions, skipped };
}

import { builtInMemoryTypes, type MemoryType } from "../memory/memoryContent.js";

/**
 * How long units of one memory type (or of every type, `*`) may stay unchanged
 * before a sweep archives, freezes or erases them. Each step is optional; days
 * count from the unit's last change (`updatedAt`).
 */
export interface RetentionRule {
  readonly memoryType: MemoryType | "*";
  readonly archiveAfterDays?: number;
  readonly freezeAfterDays?: number;
  readonly eraseAfterDays?: number;
}

/** A cube's retention policy: its rules and how often it is swept. */
export interface RetentionPolicy {
  readonly rules: readonly RetentionRule[];
  /** Hours between two sweeps; default 24. */
  readonly sweepEveryHours?: number;
}

export const defaultSweepEveryHours = 24;
const maxDays = 36_500;

const isDays = (v: unknown) => v === undefined || (typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= maxDays);
const isMemoryType = (v: unknown): v is MemoryType | "*" =>
  v === "*" || (typeof v === "string" && ((builtInMemoryTypes as readonly string[]).includes(v) || /^custom:[A-Za-z0-9._-]{1,64}$/.test(v)));

/** The first problem with a policy as [field, what is wrong], or undefined when it is valid. */
export function policyProblem(policy: RetentionPolicy): [string, string] | undefined {
  if (policy === null || typeof policy !== "object" || !Array.isArray(policy.rules)) return ["rules", "must be a list of rules"];
  if (policy.rules.length === 0 || policy.rules.length > 100) return ["rules", "must hold between 1 and 100 rules"];
  if (policy.sweepEveryHours !== undefined && !(typeof policy.sweepEveryHours === "number" && policy.sweepEveryHours >= 1 / 3600 && policy.sweepEveryHours <= 24 * 366)) {
    return ["sweepEveryHours", "must be a number of hours between 1/3600 (a second) and 8784 (a year)"];
  }
  const seen = new Set<string>();
  for (const [i, rule] of policy.rules.entries()) {
    const at = `rules[${i}]`;
    if (!isMemoryType(rule?.memoryType)) return [`${at}.memoryType`, `must be "*", one of ${builtInMemoryTypes.join(", ")}, or custom:<name>`];
    if (seen.has(rule.memoryType)) return [`${at}.memoryType`, `"${rule.memoryType}" has two rules; keep one per memory type`];
    seen.add(rule.memoryType);
    for (const field of ["archiveAfterDays", "freezeAfterDays", "eraseAfterDays"] as const) {
      if (!isDays(rule[field])) return [`${at}.${field}`, `must be a number of days between 0 and ${maxDays}`];
    }
    if (rule.archiveAfterDays === undefined && rule.freezeAfterDays === undefined && rule.eraseAfterDays === undefined) {
      return [at, "needs at least one of archiveAfterDays, freezeAfterDays, eraseAfterDays"];
    }
  }
  return undefined;
}

/** The rule that governs a memory type: its own rule, else the `*` rule, else none. */
export const ruleFor = (policy: RetentionPolicy, memoryType: MemoryType): RetentionRule | undefined =>
  policy.rules.find((r) => r.memoryType === memoryType) ?? policy.rules.find((r) => r.memoryType === "*");

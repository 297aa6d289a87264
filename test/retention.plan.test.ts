import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planRetention, type RetentionCandidate } from "../domain/retention/planRetention.js";
import { policyProblem, type RetentionPolicy } from "../domain/retention/retentionPolicy.js";
import type { MemoryStatus } from "../domain/memory/memoryEvents.js";

/** The sweep as a pure function: per memory type, the strongest due step its status allows; held units are skipped. */
const now = new Date("2026-06-01T00:00:00.000Z");
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
const unit = (memoryId: string, memoryType: RetentionCandidate["memoryType"], age: number, status: MemoryStatus = "activated", holdIds: string[] = []): RetentionCandidate => ({ memoryId, memoryType, status, updatedAt: daysAgo(age), holdIds });

const policy: RetentionPolicy = {
  rules: [
    { memoryType: "raw_source", eraseAfterDays: 30 },
    { memoryType: "*", archiveAfterDays: 90, freezeAfterDays: 365 },
  ],
};

describe("retention plan", () => {
  it("erases raw chat turns after 30 days, archives then freezes the rest, leaves the young and skips the held", () => {
    const plan = planRetention(policy, [unit("chat-old", "raw_source", 31), unit("chat-new", "raw_source", 29), unit("fact-91", "long_term", 91), unit("fact-400", "long_term", 400), unit("pref-400-archived", "preference", 400, "archived"), unit("held", "raw_source", 99, "activated", ["h1"]), unit("gone", "raw_source", 99, "erased")], now);
    expect(Object.fromEntries(plan.actions.map((a) => [a.memoryId, a.action]))).toEqual({ "chat-old": "erase", "fact-91": "archive", "fact-400": "freeze", "pref-400-archived": "freeze" });
    expect(plan.skipped).toEqual([expect.objectContaining({ memoryId: "held", action: "erase", holdIds: ["h1"] })]);
  });

  it("never plans a step for a held unit, and every planned step is due and allowed by the unit's status", () => {
    const statuses: MemoryStatus[] = ["generated", "activated", "archived", "merged", "frozen", "erased"];
    const candidate = fc.record({
      memoryId: fc.uuid(),
      memoryType: fc.constantFrom("raw_source" as const, "long_term" as const, "working" as const),
      status: fc.constantFrom(...statuses),
      updatedAt: fc.integer({ min: 0, max: 800 }).map(daysAgo),
      holdIds: fc.array(fc.constantFrom("h1", "h2"), { maxLength: 2 }),
    });
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 30 }), (units) => {
        const plan = planRetention(policy, units, now);
        for (const step of plan.actions) {
          const u = units.find((x) => x.memoryId === step.memoryId)!;
          expect(u.holdIds).toEqual([]);
          const age = (now.getTime() - Date.parse(u.updatedAt)) / 86_400_000;
          if (step.action === "erase") expect(u.memoryType === "raw_source" && age >= 30).toBe(true);
          if (step.action === "freeze") expect(age >= 365 && ["activated", "archived"].includes(u.status)).toBe(true);
          if (step.action === "archive") expect(age >= 90 && u.status === "activated").toBe(true);
        }
        for (const skipped of plan.skipped) expect(units.find((x) => x.memoryId === skipped.memoryId)!.holdIds.length).toBeGreaterThan(0);
      }),
    );
  });

  it("refuses a rule with no step, two rules for one type and an unknown type", () => {
    expect(policyProblem({ rules: [{ memoryType: "raw_source" }] })?.[0]).toBe("rules[0]");
    expect(policyProblem({ rules: [{ memoryType: "*", eraseAfterDays: 1 }, { memoryType: "*", archiveAfterDays: 1 }] })?.[0]).toBe("rules[1].memoryType");
    expect(policyProblem({ rules: [{ memoryType: "chat" as "working", eraseAfterDays: 1 }] })?.[0]).toBe("rules[0].memoryType");
    expect(policyProblem(policy)).toBeUndefined();
  });
});

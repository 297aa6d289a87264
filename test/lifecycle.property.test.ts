import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide } from "../domain/memory/decide.js";
import { evolve, fold } from "../domain/memory/evolve.js";
import type { MemoryCommand } from "../domain/memory/memoryCommands.js";
import type { MemoryEvent } from "../domain/memory/memoryEvents.js";
import { initialMemoryState, type ExistingMemory, type MemoryState } from "../domain/memory/memoryState.js";

/**
 * Commands are generated as "intents" and turned into concrete commands against
 * the current state, so revert targets are real prefixes of the history.
 */
type Intent =
  | { kind: "create"; text: string; activate: boolean }
  | { kind: "activate" | "archive" | "restore" | "erase" }
  | { kind: "edit"; text?: string; tags?: string[]; confidence?: number }
  | { kind: "merge"; self: boolean; otherCube: boolean; successorStatus: "activated" | "archived" | "generated" }
  | { kind: "freeze"; reason: "legal_hold" | "retention" | "other" }
  | { kind: "revert"; back: number }
  | { kind: "recordProcessingFailure"; attempt: number };

const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== "");
const intent: fc.Arbitrary<Intent> = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), text, activate: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("activate" as const, "archive" as const, "restore" as const, "erase" as const) }),
  fc.record(
    { kind: fc.constant("edit" as const), text: text, tags: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 3 }), confidence: fc.double({ min: 0, max: 1, noNaN: true }) },
    { requiredKeys: ["kind"] },
  ),
  fc.record({ kind: fc.constant("merge" as const), self: fc.boolean(), otherCube: fc.boolean(), successorStatus: fc.constantFrom("activated" as const, "archived" as const, "generated" as const) }),
  fc.record({ kind: fc.constant("freeze" as const), reason: fc.constantFrom("legal_hold" as const, "retention" as const, "other" as const) }),
  fc.record({ kind: fc.constant("revert" as const), back: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ kind: fc.constant("recordProcessingFailure" as const), attempt: fc.integer({ min: 1, max: 5 }) }),
);

const memoryId = "m-1";

function toCommand(intent: Intent, state: MemoryState, history: readonly MemoryEvent[]): MemoryCommand {
  switch (intent.kind) {
    case "create":
      return { type: "create", memoryId, cubeId: "c", content: { text: intent.text, tags: [], sources: [], metadata: {} }, attributes: { memoryType: "long_term", confidence: 1, visibility: "cube" }, activate: intent.activate };
    case "edit":
      return {
        type: "edit",
        memoryId,
        content: { ...(intent.text !== undefined ? { text: intent.text } : {}), ...(intent.tags !== undefined ? { tags: intent.tags } : {}) },
        ...(intent.confidence !== undefined ? { attributes: { confidence: intent.confidence } } : {}),
      };
    case "merge": {
      const successorId = intent.self ? memoryId : "m-2";
      const successor = intent.self && state.status !== "absent" ? { memoryId, cubeId: state.cubeId, status: state.status } : { memoryId: successorId, cubeId: intent.otherCube ? "other-cube" : "c", status: intent.successorStatus };
      return { type: "merge", memoryId, successorId, successor };
    }
    case "freeze":
      return { type: "freeze", memoryId, reason: intent.reason };
    case "erase":
      return { type: "erase", memoryId, scope: "memory", keyId: "k-1" };
    case "recordProcessingFailure":
      return { type: "recordProcessingFailure", memoryId, jobId: "job-1", attempt: intent.attempt, error: "embedder unavailable", willRetry: intent.attempt < 5 };
    case "revert": {
      const toRevision = Math.max(0, state.revision - 1 - intent.back);
      const target = fold(history.slice(0, toRevision + 1));
      return { type: "revert", memoryId, toRevision, target: target as ExistingMemory };
    }
    default:
      return { type: intent.kind, memoryId };
  }
}

/** The lifecycle rules restated independently of the machine, as the spec reads. */
const allowedFrom: Record<string, readonly string[]> = {
  absent: ["create"],
  generated: ["activate", "archive", "erase", "revert", "recordProcessingFailure"],
  activated: ["edit", "merge", "archive", "freeze", "erase", "revert"],
  merged: ["erase", "revert"],
  archived: ["restore", "freeze", "erase", "revert"],
  frozen: ["erase"],
  erased: [],
};

interface Step {
  readonly command: MemoryCommand;
  readonly decision: ReturnType<typeof decide>;
  readonly before: MemoryState;
  /** State after folding the accepted events (== before when rejected). */
  readonly after: MemoryState;
  /** The whole log so far, this step's events included. */
  readonly history: readonly MemoryEvent[];
}

/** Runs intents through decide + evolve, reporting every step; returns the log. */
function runIntents(intents: readonly Intent[], onStep: (step: Step) => void = () => {}): MemoryEvent[] {
  let state: MemoryState = initialMemoryState;
  const history: MemoryEvent[] = [];
  for (const it of intents) {
    const command = toCommand(it, state, history);
    const decision = decide(state, command);
    const before = state;
    if (decision.kind === "accepted") {
      state = decision.events.reduce<MemoryState>(evolve, state);
      history.push(...decision.events);
    }
    onStep({ command, decision, before, after: state, history });
  }
  return history;
}

const intents = fc.array(intent, { minLength: 1, maxLength: 40 });

describe("the lifecycle machine and evolve agree on every generated command sequence", () => {
  it("accepts exactly what the spec allows; the fold of emitted events reaches the machine's target state", () => {
    fc.assert(
      fc.property(intents, (generated) => {
        runIntents(generated, ({ command, decision, before, after }) => {
          const specAllows = allowedFrom[before.status]!.includes(command.type);
          if (decision.kind === "rejected") {
            // Rejections are either outside the spec table or a failed guard/field rule on an allowed command.
            if (specAllows) expect(["TransitionRejected", "InvalidCommand"]).toContain(decision.error._tag);
            expect(decision.error.message).toContain(memoryId);
            return;
          }
          expect(specAllows, `${before.status} accepted ${command.type}`).toBe(true);
          // hardening #10: a merge is accepted only into another, activated unit of the same cube.
          if (command.type === "merge") expect(command.successor).toMatchObject({ cubeId: (before as ExistingMemory).cubeId, status: "activated" });
          expect(after.status).toBe(decision.nextStatus);
          expect(after.revision).toBe(before.revision + decision.events.length);
        });
      }),
      { numRuns: 2_000 },
    );
  });

  it("replaying any prefix of the log gives the state recorded at that revision", () => {
    fc.assert(
      fc.property(intents, (generated) => {
        const history = runIntents(generated);
        let state: MemoryState = initialMemoryState;
        history.forEach((event, revision) => {
          state = evolve(state, event);
          expect(fold(history.slice(0, revision + 1))).toEqual(state);
        });
      }),
      { numRuns: 1_000 },
    );
  });

  it("a revert to revision N restores the content, attributes and status of revision N as a new version (hardening #10: generated only while still generated)", () => {
    fc.assert(
      fc.property(intents, (generated) => {
        runIntents(generated, ({ command, decision, before, after, history }) => {
          if (decision.kind === "rejected" || command.type !== "revert") return;
          const atN = fold(history.slice(0, command.toRevision + 1)) as ExistingMemory;
          const now = after as ExistingMemory;
          expect(now.content).toEqual(atN.content);
          expect(now.attributes).toEqual(atN.attributes);
          // A processed unit never returns to generated: such a revert lands in activated.
          expect(now.status).toBe(atN.status === "generated" && before.status !== "generated" ? "activated" : atN.status);
          expect(now.successorId).toBe(atN.successorId);
          expect(now.version).toBe((before as ExistingMemory).version + 1);
        });
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("decide names the unit, its state and the command when it rejects", () => {
  it("rejects an edit of a frozen unit", () => {
    const created = decide(initialMemoryState, toCommand({ kind: "create", text: "t", activate: true }, initialMemoryState, []));
    if (created.kind !== "accepted") throw new Error("create failed");
    let state = fold(created.events);
    const frozen = decide(state, { type: "freeze", memoryId, reason: "legal_hold" });
    if (frozen.kind !== "accepted") throw new Error("freeze failed");
    state = fold(frozen.events, state);
    const edit = decide(state, { type: "edit", memoryId, content: { text: "new" } });
    expect(edit).toMatchObject({ kind: "rejected", error: { _tag: "TransitionRejected", memoryId, state: "frozen", command: "edit" } });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import type { MemLedger } from "../src/app/memLedger.js";
import { startChatCompletionsServer, lastUserText, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/** The ids the feedback prompt showed the model, in order. */
const shownIds = (userText: string) => [...userText.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]!);

describe("MemFeedback through the OpenAI adapter against a scripted chat-completions server", () => {
  let server: ChatCompletionsServer;
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  /** What the scripted model plans for the next correction. */
  let planFor: (userText: string) => unknown = () => ({ steps: [] });

  beforeAll(async () => {
    server = await startChatCompletionsServer({ rules: [{ schemaName: "feedback_plan", text: (request) => JSON.stringify(planFor(lastUserText(request))) }] });
    ({ ledger, dispose } = await tempLedger({ chatModel: openAiChatModel({ baseURL: server.url, model: "scripted-planner" }) }));
    await ledger.cubes.create({ cubeId: "alice", name: "alice", owner: { kind: "user", id: "alice" } });
    await ledger.cubes.create({ cubeId: "other", name: "other", owner: { kind: "user", id: "bob" } });
    for (const [memoryId, text] of [
      ["home", "Alice lives in Paris"],
      ["job", "Alice works as a nurse"],
      ["diet", "Alice is on a keto diet"],
      ["diet2", "Alice avoids bread because of her diet"],
    ] as const) {
      await ledger.memories.create({ cubeId: "alice", memoryId, text, userId: "alice" });
    }
    await ledger.memories.create({ cubeId: "other", memoryId: "bobhome", text: "Bob lives in Paris", userId: "bob" });
  }, 60_000);
  afterAll(async () => {
    await dispose();
    await server.close();
  });

  it('"I moved to Lyon, not Paris": the dry run plans an edit of the right unit only and writes nothing', async () => {
    planFor = (text) => {
      expect(shownIds(text)).toContain("home");
      return { steps: [{ action: "edit", memoryId: "home", newText: "Alice lives in Lyon", successorId: null, reason: "she moved" }] };
    };
    const before = await Promise.all(["home", "job", "diet"].map((id) => ledger.memories.get(id)));
    const plan = await ledger.feedback.correct("alice", { text: "I moved to Lyon, not Paris", userId: "alice" });
    expect(plan).toMatchObject({ status: "planned", cubeIds: ["alice"], model: "scripted-planner", prompt: "memfeedback.plan@1", hasIrreversibleSteps: false });
    expect(plan.steps).toEqual([{ action: "edit", memoryId: "home", cubeId: "alice", newText: "Alice lives in Lyon", reason: "she moved", irreversible: false }]);
    // Only alice's units are shown: the search is filtered to the user asked.
    expect(shownIds(lastUserText(server.requests.at(-1)!))).not.toContain("bobhome");
    const after = await Promise.all(["home", "job", "diet"].map((id) => ledger.memories.get(id)));
    expect(after.map((v) => v.revision)).toEqual(before.map((v) => v.revision));
    expect((await ledger.feedback.get(plan.planId)).status).toBe("planned");
  });

  it("apply edits that unit (and only it) with automation provenance and the plan named as the reason; undo restores it exactly", async () => {
    planFor = () => ({ steps: [{ action: "edit", memoryId: "home", newText: "Alice lives in Lyon", successorId: null, reason: "she moved" }] });
    const before = await ledger.memories.get("home");
    const others = await Promise.all(["job", "diet", "diet2"].map((id) => ledger.memories.get(id)));
    const plan = await ledger.feedback.correct("alice", { text: "I moved to Lyon, not Paris", userId: "alice" });
    const applied = await ledger.feedback.apply(plan.planId);
    expect(applied.status).toBe("applied");
    expect(applied.changes).toEqual([{ memoryId: "home", action: "edit", beforeRevision: before.revision, afterRevision: before.revision + 1 }]);
    expect((await ledger.memories.get("home")).content?.text).toBe("Alice lives in Lyon");
    expect((await Promise.all(["job", "diet", "diet2"].map((id) => ledger.memories.get(id)))).map((v) => v.revision)).toEqual(others.map((v) => v.revision));
    const edit = (await ledger.memories.history("home")).at(-1)!;
    expect(edit).toMatchObject({ type: "MemoryEdited", reason: `feedback plan ${plan.planId}`, automation: { component: "feedback", model: "scripted-planner", prompt: "memfeedback.plan@1" } });
    expect((await failureOf(ledger.feedback.apply(plan.planId)))._tag).toBe("FeedbackPlanConflict");

    const undone = await ledger.feedback.undo(plan.planId);
    expect(undone).toMatchObject({ status: "undone", undone: { reverted: ["home"], notUndoable: [] } });
    const restored = await ledger.memories.get("home");
    expect(restored.content).toEqual(before.content);
    expect(restored.attributes).toEqual(before.attributes);
    expect(restored.status).toBe(before.status);
  });

  it('"forget what I said about my diet": erase is marked irreversible, needs confirmation, and undo says it cannot come back; the archive beside it is restored', async () => {
    planFor = () => ({
      steps: [
        { action: "erase", memoryId: "diet", newText: null, successorId: null, reason: "asked to forget" },
        { action: "archive", memoryId: "diet2", newText: null, successorId: null, reason: "about the diet" },
      ],
    });
    const plan = await ledger.feedback.correct("alice", { text: "forget what I said about my diet", userId: "alice" });
    expect(plan.hasIrreversibleSteps).toBe(true);
    expect(plan.steps.map((s) => [s.action, s.irreversible])).toEqual([["erase", true], ["archive", false]]);
    const unconfirmed = await failureOf(ledger.feedback.apply(plan.planId));
    expect(unconfirmed._tag).toBe("FeedbackPlanConflict");
    expect(unconfirmed.message).toContain("confirmErase");
    expect((await ledger.memories.get("diet")).status).toBe("activated");

    await ledger.feedback.apply(plan.planId, { confirmErase: true });
    expect((await ledger.memories.get("diet")).status).toBe("erased");
    expect((await ledger.memories.get("diet2")).status).toBe("archived");
    const undone = await ledger.feedback.undo(plan.planId);
    expect(undone.undone?.reverted).toEqual(["diet2"]);
    expect(undone.undone?.notUndoable).toEqual([{ memoryId: "diet", why: expect.stringContaining("cannot be undone") }]);
    expect((await ledger.memories.get("diet2")).status).toBe("activated");
    expect((await ledger.memories.get("diet")).status).toBe("erased");
  });

  it("invalid steps (an unknown id, a unit of another cube, an edit without text) reject the whole plan with each problem named; nothing is recorded", async () => {
    planFor = () => ({
      steps: [
        { action: "edit", memoryId: "nope", newText: "x", successorId: null, reason: "r" },
        { action: "archive", memoryId: "bobhome", newText: null, successorId: null, reason: "r" },
        { action: "edit", memoryId: "job", newText: null, successorId: null, reason: "r" },
      ],
    });
    const failure = await failureOf(ledger.feedback.correct("alice", { text: "I moved to Lyon, not Paris" }));
    expect(failure._tag).toBe("FeedbackPlanRejected");
    expect(failure.message).toContain("no memory nope exists");
    expect(failure.message).toContain("bobhome is in cube other, not in the cube(s) asked (alice)");
    expect(failure.message).toContain("an edit needs the corrected text");
    expect((await ledger.memories.get("bobhome")).status).toBe("activated");
  });

  it("a unit under legal hold refuses the plan, naming the hold", async () => {
    const hold = await ledger.holds.place({ scope: { kind: "memory", id: "job" }, reason: "employment dispute" });
    planFor = () => ({ steps: [{ action: "edit", memoryId: "job", newText: "Alice works as a doctor", successorId: null, reason: "new job" }] });
    const failure = await failureOf(ledger.feedback.correct("alice", { text: "I am a doctor now", userId: "alice" }));
    expect(failure._tag).toBe("LegalHoldActive");
    expect(failure.message).toContain(hold.holdId);
    expect((await ledger.memories.get("job")).content?.text).toBe("Alice works as a nurse");
  });

  it("an apply stopped halfway (a hold placed after planning) runs again once the hold is gone, and its undo still returns each unit to before the plan", async () => {
    await ledger.memories.create({ cubeId: "alice", memoryId: "pet", text: "Alice has a cat", userId: "alice" });
    planFor = () => ({
      steps: [
        { action: "edit", memoryId: "home", newText: "Alice lives in Marseille", successorId: null, reason: "moved again" },
        { action: "archive", memoryId: "pet", newText: null, successorId: null, reason: "no pet now" },
      ],
    });
    const before = await ledger.memories.get("home");
    const plan = await ledger.feedback.correct("alice", { text: "I live in Marseille and have no cat", userId: "alice" });
    const hold = await ledger.holds.place({ scope: { kind: "memory", id: "pet" }, reason: "insurance claim" });
    expect((await failureOf(ledger.feedback.apply(plan.planId)))._tag).toBe("LegalHoldActive");
    expect((await ledger.memories.get("home")).content?.text).toBe("Alice lives in Marseille");
    expect((await ledger.feedback.get(plan.planId)).status).toBe("planned");
    await ledger.holds.release(hold.holdId, "claim settled");
    const applied = await ledger.feedback.apply(plan.planId);
    expect(applied.changes?.find((c) => c.memoryId === "home")).toMatchObject({ beforeRevision: before.revision, afterRevision: before.revision + 1 });
    await ledger.feedback.undo(plan.planId);
    expect((await ledger.memories.get("home")).content).toEqual(before.content);
    expect((await ledger.memories.get("pet")).status).toBe("activated");
  });

  it("dryRun: false plans and applies in one call", async () => {
    planFor = () => ({ steps: [{ action: "archive", memoryId: "home", newText: null, successorId: null, reason: "wrong" }] });
    const plan = await ledger.feedback.correct("alice", { text: "I do not live in Paris", userId: "alice", dryRun: false });
    expect(plan.status).toBe("applied");
    expect((await ledger.memories.get("home")).status).toBe("archived");
    await ledger.feedback.undo(plan.planId);
    expect((await ledger.memories.get("home")).status).toBe("activated");
  });
});

describe("MemFeedback without a chat model", () => {
  it("answers ChatModelNotConfigured naming the variables to set", async () => {
    const { ledger, dispose } = await tempLedger();
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      const failure = await failureOf(ledger.feedback.correct("c", { text: "I moved to Lyon" }));
      expect(failure._tag).toBe("ChatModelNotConfigured");
      expect(failure.message).toContain("MEMLEDGER_CHAT_MODEL_URL");
    } finally {
      await dispose();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import type { MemLedger } from "../src/app/memLedger.js";
import { startChatCompletionsServer, lastUserText, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

const shownIds = (userText: string) => [...userText.matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]!);

describe("preference memory through the OpenAI adapter against a scripted chat-completions server", () => {
  let server: ChatCompletionsServer;
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let answer: (userText: string) => unknown = () => ({ preferences: [] });

  beforeAll(async () => {
    server = await startChatCompletionsServer({
      rules: [
        { schemaName: "implicit_preferences", text: (request) => JSON.stringify(answer(lastUserText(request))) },
        { schemaName: "memreader_extraction", json: { memories: [{ kind: "preference", text: "Carol prefers tea", date: null, turnIds: ["t1"] }, { kind: "fact", text: "Carol had ramen for lunch", date: null, turnIds: ["t2"] }] } },
        { schemaName: "memory_decision", json: { decision: "ADD", targetIds: [], mergedText: "", contradicts: [], reason: "new" } },
      ],
    });
    ({ ledger, dispose } = await tempLedger({ chatModel: openAiChatModel({ baseURL: server.url, model: "scripted-profiler" }), jobBus: { kind: "sqlite", pollIntervalMs: 20, retryPolicy: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } } }));
    await ledger.cubes.create({ cubeId: "carol", name: "carol", owner: { kind: "user", id: "carol" } });
    for (const [memoryId, text, memoryType] of [
      ["sushi", "Carol ordered sushi on Friday", "long_term"],
      ["ramen", "Carol booked a table at a Japanese restaurant", "long_term"],
      ["mornings", "Carol sent her reports at 6 am", "long_term"],
      ["nurse", "Carol is a nurse", "user"],
    ] as const) {
      await ledger.memories.create({ cubeId: "carol", memoryId, text, userId: "carol", memoryType, sources: [{ kind: "message", ref: `m-${memoryId}` }] });
    }
    await ledger.memories.create({ cubeId: "carol", memoryId: "dave", text: "Dave ordered pizza", userId: "dave" });
  }, 60_000);
  afterAll(async () => {
    await dispose();
    await server.close();
  });

  const inferAndWait = async () => {
    const job = await ledger.preferences.infer("carol", "carol");
    expect(job.kind).toBe("preferences.infer");
    const waited = await ledger.jobs.wait(job.jobId, 20_000);
    expect(waited.job.status).toBe("done");
    return waited.job;
  };

  it("explicit preferences from MemReader's fine mode are memoryType preference, and the reading enqueues an inference for the user", async () => {
    answer = () => ({ preferences: [] });
    const result = await ledger.memReader.addMessages("carol", {
      userId: "carol",
      mode: "fine",
      async: false,
      messages: [
        { role: "user", content: "I prefer tea, honestly." },
        { role: "user", content: "Had ramen for lunch." },
      ],
    });
    if (result.async) throw new Error("sync asked");
    const tea = result.memories.find((m) => m.content?.text === "Carol prefers tea")!;
    expect(tea.attributes.memoryType).toBe("preference");
    const jobs = await ledger.jobs.list({ cubeId: "carol" });
    const inference = jobs.find((j) => j.kind === "preferences.infer");
    expect(inference).toBeDefined();
    expect((await ledger.jobs.wait(inference!.jobId, 20_000)).job.status).toBe("done");
  });

  it("an inference creates implicit preferences with confidence and evidence; one with no evidence shown is dropped; another user's units are not shown", async () => {
    answer = (text) => {
      const shown = shownIds(text);
      expect(shown).not.toContain("dave");
      return {
        preferences: [
          { key: "food.cuisine", text: "Carol likes Japanese food", confidence: 0.7, evidenceIds: ["sushi", "ramen"] },
          { key: "schedule.hours", text: "Carol works early", confidence: 0.6, evidenceIds: ["mornings"] },
          { key: "made.up", text: "Carol likes jazz", confidence: 0.9, evidenceIds: ["nowhere"] },
        ],
      };
    };
    const job = await inferAndWait();
    expect(job.result).toMatchObject({ created: [expect.any(String), expect.any(String)], updated: [], dropped: [{ key: "made.up", why: "no evidence among the units shown" }], model: "scripted-profiler", prompt: "preferences.infer@1" });
    const profile = await ledger.preferences.profile("carol", "carol");
    expect(profile.preferences.implicit.map((p) => [p.key, p.text, p.confidence, p.evidenceIds])).toEqual([
      ["food.cuisine", "Carol likes Japanese food", 0.7, ["sushi", "ramen"]],
      ["schedule.hours", "Carol works early", 0.6, ["mornings"]],
    ]);
    const unit = await ledger.memories.get(profile.preferences.implicit[0]!.memoryId);
    expect(unit).toMatchObject({ attributes: { memoryType: "preference", confidence: 0.7 }, content: { userId: "carol", metadata: { preferenceKind: "implicit", preferenceKey: "food.cuisine" } } });
    expect((await ledger.memories.history(unit.memoryId))[0]).toMatchObject({ actor: "system:preferences", automation: { component: "preferences", model: "scripted-profiler", prompt: "preferences.infer@1", jobId: job.jobId } });
  });

  it("a repeat inference updates the preference of the same key rather than adding one; the profile lists explicit, implicit and persona, current ones only", async () => {
    const before = await ledger.preferences.profile("carol", "carol");
    const cuisine = before.preferences.implicit.find((p) => p.key === "food.cuisine")!;
    const hours = before.preferences.implicit.find((p) => p.key === "schedule.hours")!;
    answer = () => ({
      preferences: [
        { key: "Food Cuisine", text: "Carol loves Japanese food, sushi above all", confidence: 0.85, evidenceIds: ["sushi", "ramen"] },
        { key: "schedule.hours", text: "Carol works early", confidence: 0.6, evidenceIds: ["mornings"] },
      ],
    });
    const job = await inferAndWait();
    expect(job.result).toMatchObject({ created: [], updated: [cuisine.memoryId], unchanged: [hours.memoryId] });
    await ledger.memories.archive(hours.memoryId);
    const profile = await ledger.preferences.profile("carol", "carol");
    expect(profile.preferences.implicit).toEqual([expect.objectContaining({ memoryId: cuisine.memoryId, text: "Carol loves Japanese food, sushi above all", confidence: 0.85 })]);
    expect(profile.preferences.explicit.map((p) => p.text)).toEqual(["Carol prefers tea"]);
    expect(profile.preferences.explicit[0]!.evidenceIds).toHaveLength(1);
    expect(profile.persona).toEqual([expect.objectContaining({ memoryId: "nurse", kind: "persona", evidenceIds: ["m-nurse"] })]);
    expect(JSON.stringify(profile)).not.toContain("Dave");
  });

  it("an unknown cube is a 404 and a malformed user id a 400", async () => {
    expect((await failureOf(ledger.preferences.profile("nope", "carol")))._tag).toBe("CubeNotFound");
    expect((await failureOf(ledger.preferences.infer("carol", "bad user id")))._tag).toBe("InvalidRequest");
  });
});

describe("preference inference without a chat model", () => {
  it("answers ChatModelNotConfigured; the profile still works", async () => {
    const { ledger, dispose } = await tempLedger();
    try {
      await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "u" } });
      await ledger.memories.create({ cubeId: "c", text: "U prefers trains", userId: "u", memoryType: "preference" });
      expect((await failureOf(ledger.preferences.infer("c", "u")))._tag).toBe("ChatModelNotConfigured");
      expect((await ledger.preferences.profile("c", "u")).preferences.explicit.map((p) => p.text)).toEqual(["U prefers trains"]);
    } finally {
      await dispose();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import type { MemLedger } from "../src/app/memLedger.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { textNeedle, tracesOf } from "./support/dataDirectoryScan.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * A correction is personal data like the units it changes: erasing the subject must leave none of its
 * words anywhere on disk (the plan event is sealed under the subject's key; reasons name the plan only).
 */
describe("MemFeedback and erasure", () => {
  let server: ChatCompletionsServer;
  let ledger: MemLedger;
  let dataDir: string;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    server = await startChatCompletionsServer({
      rules: [{ schemaName: "feedback_plan", json: { steps: [{ action: "edit", memoryId: "carol-home", newText: "Carol lives in Bergen, Fjellveien 12", successorId: null, reason: "Carol moved to Fjellveien 12" }] } }],
    });
    ({ ledger, dataDir, dispose } = await tempLedger({ chatModel: openAiChatModel({ baseURL: server.url, model: "scripted-planner" }) }));
    await ledger.cubes.create({ cubeId: "people", name: "people", owner: { kind: "project", id: "p" } });
    await ledger.memories.create({ cubeId: "people", memoryId: "carol-home", text: "Carol lives in Oslo", userId: "carol" });
  }, 60_000);
  afterAll(async () => {
    await dispose();
    await server.close();
  });

  it("the plan's words are sealed: after the subject's erasure the plan keeps its shape, its words read [erased], and no byte of them survives on disk", async () => {
    const correction = "I moved to Bergen, not Oslo: Sognsveien 77";
    const plan = await ledger.feedback.correct("people", { text: correction, userId: "carol", dryRun: false });
    expect(plan.status).toBe("applied");
    expect(plan.text).toBe(correction);
    expect(plan.steps[0]).toMatchObject({ action: "edit", memoryId: "carol-home", newText: "Carol lives in Bergen, Fjellveien 12", reason: "Carol moved to Fjellveien 12" });
    // Reasons in event metadata are never sealed: they name the plan, not the correction.
    expect((await ledger.memories.history("carol-home")).at(-1)).toMatchObject({ reason: `feedback plan ${plan.planId}` });
    await ledger.readModels.catchUp(30_000);
    expect(tracesOf(dataDir, [textNeedle("Sognsveien 77"), textNeedle("Fjellveien 12")])).not.toEqual([]);

    await ledger.subjects.erase("carol");
    await ledger.readModels.catchUp(30_000);
    const after = await ledger.feedback.get(plan.planId);
    expect(after).toMatchObject({ planId: plan.planId, status: "applied", text: "[erased]", shredded: true });
    expect(after.steps).toEqual([{ action: "edit", memoryId: "carol-home", cubeId: "people", reason: "[erased]", irreversible: false }]);
    await ledger.close();
    expect(tracesOf(dataDir, [textNeedle("Sognsveien 77"), textNeedle("Fjellveien 12"), textNeedle("moved to Bergen")])).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { decideJobKind } from "../src/memoryDecisions/enqueueDecisions.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { textNeedle, tracesOf } from "./support/dataDirectoryScan.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * A model's reason for a merge decision is its own words about a person's facts: it is sealed under that
 * person's key, so erasing them leaves the decision's shape (kind, ids, scores) and none of its words.
 */
describe("merge decisions and erasure", () => {
  let ledger: MemLedger;
  let dataDir: string;
  let dispose: () => Promise<void>;
  let server: ChatCompletionsServer;

  beforeAll(async () => {
    server = await startChatCompletionsServer({
      rules: [
        {
          schemaName: "memory_decision",
          text: (request) => {
            const shown = JSON.stringify(request.messages).match(/\\"id\\":\\"([^"\\]+)\\"/)?.[1];
            return JSON.stringify({ decision: "UPDATE", targetIds: shown ? [shown] : [], mergedText: "", contradicts: [], reason: "Dagny now works at Kvaerner Yards" });
          },
        },
      ],
    });
    ({ ledger, dataDir, dispose } = await tempLedger({ chatModel: openAiChatModel({ baseURL: server.url, model: "scripted-decider" }) }));
    await ledger.cubes.create({ cubeId: "crew", name: "Crew", owner: { kind: "project", id: "crew" } });
  }, 60_000);
  afterAll(async () => {
    await dispose();
    await server.close();
  });

  it("the reason reads back while the subject lives, reads [erased] after the subject's erasure, and is nowhere on disk", async () => {
    await ledger.memories.add("crew", { memories: [{ text: "Dagny is a welder", userId: "dagny" }] });
    await ledger.memories.add("crew", { memories: [{ text: "Dagny started a new job as a foreman", userId: "dagny" }] });
    for (const job of await ledger.jobs.list({ kind: decideJobKind })) expect((await ledger.jobs.wait(job.jobId, 20_000)).job.status).toBe("done");
    const decided = (await ledger.decisions.list("crew")).filter((d) => d.decidedBy.kind === "model");
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ decision: "UPDATE", reason: "Dagny now works at Kvaerner Yards" });
    expect(tracesOf(dataDir, [textNeedle("Kvaerner Yards")])).toEqual([]);

    await ledger.subjects.erase("dagny");
    const after = await ledger.decisions.get(decided[0]!.decisionId);
    expect(after).toMatchObject({ decisionId: decided[0]!.decisionId, decision: "UPDATE", reason: "[erased]" });
    await ledger.close();
    expect(tracesOf(dataDir, [textNeedle("Kvaerner Yards"), textNeedle("foreman")])).toEqual([]);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger } from "../src/app/memLedger.js";
import type { FeedbackPlanView } from "../src/memFeedback/feedbackEvents.js";
import { runCliCaptured } from "./support/cliRun.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";

/** `memledger feedback` and `memledger profile` on an embedded data directory, the model a scripted chat-completions server named by the environment. */
describe("the memledger CLI's feedback and profile commands", () => {
  let dataDir: string;
  let chat: ChatCompletionsServer;
  const saved = { url: process.env.MEMLEDGER_CHAT_MODEL_URL, model: process.env.MEMLEDGER_CHAT_MODEL };
  const cli = (...args: string[]) => runCliCaptured(["--data-dir", dataDir, ...args]);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-feedback-"));
    chat = await startChatCompletionsServer({ rules: [{ schemaName: "feedback_plan", json: { steps: [{ action: "edit", memoryId: "home", newText: "Alice lives in Lyon", successorId: null, reason: "she moved" }] } }] });
    process.env.MEMLEDGER_CHAT_MODEL_URL = chat.url;
    process.env.MEMLEDGER_CHAT_MODEL = "scripted";
    const ledger = await openMemLedger({ dataDir, worker: false });
    await ledger.cubes.create({ cubeId: "alice", name: "alice", owner: { kind: "user", id: "alice" } });
    await ledger.memories.create({ cubeId: "alice", memoryId: "home", text: "Alice lives in Paris", userId: "alice" });
    await ledger.memories.create({ cubeId: "alice", memoryId: "tea", text: "Alice prefers tea", userId: "alice", memoryType: "preference" });
    await ledger.close();
  }, 60_000);
  afterAll(async () => {
    for (const [key, value] of [["MEMLEDGER_CHAT_MODEL_URL", saved.url], ["MEMLEDGER_CHAT_MODEL", saved.model]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await chat.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows the plan as a dry run, applies it by id, undoes it", async () => {
    const dry = await cli("feedback", "--cube", "alice", "I moved to Lyon, not Paris");
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toMatch(/edit\s+home -> "Alice lives in Lyon"/);
    expect(dry.out).toContain("planned");
    const planId = /plan (\S+)/.exec(dry.out)![1]!;
    const applied = await cli("feedback", "apply", planId);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toMatch(/changed home: revision \d+ -> \d+/);
    const undone = await cli("--json", "feedback", "undo", planId);
    expect(undone.code, undone.err).toBe(0);
    expect((JSON.parse(undone.out) as FeedbackPlanView).undone?.reverted).toEqual(["home"]);
  });

  it("--apply plans and applies in one go; the profile lists the user's preferences", async () => {
    const run = await cli("--json", "feedback", "--cube", "alice", "--apply", "I moved to Lyon, not Paris");
    expect(run.code, run.err).toBe(0);
    expect((JSON.parse(run.out) as FeedbackPlanView).status).toBe("applied");
    const profile = await cli("profile", "--cube", "alice", "--user", "alice");
    expect(profile.code, profile.err).toBe(0);
    expect(profile.out).toContain("explicit preferences:\n  Alice prefers tea");
    expect(profile.out).toContain("implicit preferences:\n  none");
  });

  it("says what is missing when the cube is not given", async () => {
    const run = await cli("feedback", "I moved");
    expect(run.code).not.toBe(0);
    expect(run.err).toContain("--cube");
  });
});

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger, ScopedLedger } from "../src/app/memLedger.js";
import { openAiChatModel } from "../src/chatModel/openAiChatModel.js";
import { decideJobKind } from "../src/memoryDecisions/enqueueDecisions.js";
import { startChatCompletionsServer, type ChatCompletionsServer } from "./support/chatCompletionsServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/**
 * Merge decisions as principals see them (read = cube read, revert/accept/
 * reject/mode = cube write; other tenants get 404s), and one decision made by
 * the real OpenAI-compatible adapter against a local chat-completions server.
 */
describe("merge decisions: principals, and the model over HTTP", () => {
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let server: ChatCompletionsServer;
  let writer: ScopedLedger;
  let reader: ScopedLedger;
  let stranger: ScopedLedger;
  let outsider: ScopedLedger;
  const ids: Record<string, string> = {};

  const settle = async () => {
    for (const job of await ledger.jobs.list({ kind: decideJobKind })) expect((await ledger.jobs.wait(job.jobId, 20_000)).job.status).toBe("done");
  };

  beforeAll(async () => {
    // The model's answer names the first id it was shown: UPDATE it.
    server = await startChatCompletionsServer({
      rules: [
        {
          schemaName: "memory_decision",
          text: (request) => {
            const shown = JSON.stringify(request.messages).match(/\\"id\\":\\"([^"\\]+)\\"/)?.[1];
            return JSON.stringify({ decision: "UPDATE", targetIds: shown ? [shown] : [], mergedText: "", contradicts: [], reason: "a newer title" });
          },
        },
      ],
    });
    const t = await tempLedger({ chatModel: openAiChatModel({ baseURL: server.url, model: "scripted-decider" }) });
    ledger = t.ledger;
    dispose = t.dispose;
    await ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    await ledger.bootstrapAdmin(join(t.dataDir, "acme.key"), "acme");
    const admin = ledger.as({ tenantId: "default", principalId: "admin" });
    await admin.governance.createPrincipal({ principalId: "wanda", kind: "user", roles: ["writer"] });
    await admin.governance.createPrincipal({ principalId: "reed", kind: "user" });
    await admin.governance.createPrincipal({ principalId: "sam", kind: "user" });
    writer = ledger.as({ tenantId: "default", principalId: "wanda" });
    reader = ledger.as({ tenantId: "default", principalId: "reed" });
    stranger = ledger.as({ tenantId: "default", principalId: "sam" });
    outsider = ledger.as({ tenantId: "acme", principalId: "admin" });
    await writer.cubes.create({ cubeId: "team", name: "Team", owner: { kind: "project", id: "team" } });
    await writer.governance.grantCube("team", { kind: "principal", id: "reed" }, "read");

    const first = await writer.memories.add("team", { memories: [{ text: "Zoe is a junior designer" }, { text: "Zoe is a junior designer" }] });
    const second = await writer.memories.add("team", { memories: [{ text: "Zoe was promoted to lead designer" }] });
    await settle();
    if (first.mode !== "sync" || second.mode !== "sync") throw new Error("expected sync adds");
    ids.original = first.memories[0]!.memoryId;
    ids.duplicate = first.memories[1]!.memoryId;
    ids.promoted = second.memories[0]!.memoryId;
  });

  afterAll(async () => {
    await dispose?.();
    await server?.close();
  });

  it("the real adapter's answer is a model decision with its model and prompt version; the duplicate was a rule's", async () => {
    const decisions = await writer.decisions.list("team");
    expect(decisions.find((d) => d.memoryId === ids.duplicate)).toMatchObject({ decision: "NOOP", decidedBy: { kind: "rule", rule: "exact-duplicate" } });
    const byModel = decisions.find((d) => d.memoryId === ids.promoted)!;
    expect(byModel).toMatchObject({ decision: "UPDATE", targetIds: [ids.original], reason: "a newer title", decidedBy: { kind: "model", prompt: "memory.decide@1" } });
    expect((await writer.memories.get(ids.original!)).content?.text).toBe("Zoe was promoted to lead designer");
    expect(server.requests.some((r) => r.response_format?.json_schema?.name === "memory_decision" || JSON.stringify(r.messages).includes("memory_decision"))).toBe(true);
  });

  it("a reader of the cube lists and explains decisions, but may not revert, accept, reject or switch the mode (403)", async () => {
    const listed = await reader.decisions.list("team");
    expect(listed.length).toBeGreaterThanOrEqual(2);
    const one = await reader.decisions.get(listed[0]!.decisionId);
    expect(one.decisionId).toBe(listed[0]!.decisionId);
    expect(await reader.decisions.mode("team")).toEqual({ cubeId: "team", mode: "auto" });
    for (const attempt of [reader.decisions.revert(one.decisionId), reader.decisions.accept(one.decisionId), reader.decisions.reject(one.decisionId), reader.decisions.setMode("team", "off")]) {
      expect((await failureOf(attempt))._tag).toBe("Forbidden");
    }
    expect(await ledger.decisions.mode("team")).toEqual({ cubeId: "team", mode: "auto" });
  });

  it("a principal without a grant, and another tenant's admin, get the same 404s as for what does not exist", async () => {
    const [decision] = await writer.decisions.list("team");
    for (const who of [stranger, outsider]) {
      const listed = await failureOf(who.decisions.list("team"));
      expect(["CubeNotFound", "Forbidden"]).toContain(listed._tag);
      expect((await failureOf(who.decisions.get(decision!.decisionId)))._tag).toMatch(/DecisionNotFound|Forbidden/);
    }
    expect((await failureOf(outsider.decisions.list("team")))._tag).toBe("CubeNotFound");
    expect((await failureOf(outsider.decisions.get(decision!.decisionId)))._tag).toBe("DecisionNotFound");
    expect((await failureOf(outsider.decisions.revert(decision!.decisionId)))._tag).toBe("DecisionNotFound");
    expect((await failureOf(outsider.decisions.setMode("team", "off")))._tag).toBe("CubeNotFound");
  });

  it("the cube's writer reverts a decision: the duplicate is active again, and the reversal is recorded under the writer's name", async () => {
    const decision = (await writer.decisions.list("team")).find((d) => d.memoryId === ids.duplicate)!;
    const reverted = await writer.decisions.revert(decision.decisionId);
    expect(reverted).toMatchObject({ status: "reverted", settledBy: "principal:wanda" });
    expect((await writer.memories.get(ids.duplicate!)).status).toBe("activated");
  });
});

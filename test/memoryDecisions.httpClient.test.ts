import type { FastifyInstance } from "fastify";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { decideJobKind } from "../src/memoryDecisions/enqueueDecisions.js";
import { buildServer } from "../src/server/buildServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/** The `decisions` namespace of connectMemLedger, against the real server: the same answers as the library. */
describe("merge decisions through connectMemLedger (REST)", () => {
  let app: FastifyInstance;
  let t: Awaited<ReturnType<typeof tempLedger>>;
  let client: RemoteLedger;

  const settle = async () => {
    for (const job of await client.jobs.list({ kind: decideJobKind, cubeId: "notes" })) expect((await client.jobs.wait(job.jobId, 20_000)).job.status).toBe("done");
  };

  beforeAll(async () => {
    t = await tempLedger({ jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
    await t.ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    app = await buildServer(t.ledger);
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    client = await connectMemLedger(baseUrl, { apiKey: readFileSync(join(t.dataDir, "admin.key"), "utf8").trim() });
    await client.cubes.create({ cubeId: "notes", name: "Notes", owner: { kind: "user", id: "bob" } });
  });
  afterAll(async () => {
    await client?.close();
    await app?.close();
    await t?.dispose();
  });

  it("lists and explains a rule's NOOP, reverts it (409 the second time), and 404s an unknown decision", async () => {
    const added = await client.memories.add("notes", { memories: [{ text: "Bob keeps bees" }, { text: "bob keeps BEES" }] });
    await settle();
    if (added.mode !== "sync") throw new Error("expected a sync add");
    const [kept, dup] = added.memories.map((m) => m.memoryId);
    const decisions = await client.decisions.list("notes");
    const noop = decisions.find((d) => d.decision === "NOOP")!;
    expect(noop).toMatchObject({ memoryId: dup, targetIds: [kept], status: "applied", decidedBy: { kind: "rule", rule: "exact-duplicate" }, changes: [{ memoryId: dup }] });
    expect(await client.decisions.get(noop.decisionId)).toEqual(noop);
    expect(await t.ledger.decisions.get(noop.decisionId)).toEqual(noop);

    const reverted = await client.decisions.revert(noop.decisionId, { reason: "they are two hives" });
    expect(reverted).toMatchObject({ status: "reverted", settledBy: "principal:admin" });
    expect((await client.memories.get(dup!)).status).toBe("activated");
    const again = await failureOf(client.decisions.revert(noop.decisionId));
    expect(again._tag).toBe("DecisionNotPending");
    expect((await failureOf(client.decisions.get("no-such-decision")))._tag).toBe("DecisionNotFound");
  });

  it("propose mode over REST: a proposal waits, accept runs it, reject leaves the units alone", async () => {
    expect(await client.decisions.setMode("notes", "propose")).toEqual({ cubeId: "notes", mode: "propose" });
    expect(await client.decisions.mode("notes")).toEqual({ cubeId: "notes", mode: "propose" });
    const first = await client.memories.add("notes", { memories: [{ text: "Carla grows tomatoes" }] });
    const second = await client.memories.add("notes", { memories: [{ text: "Carla grows tomatoes." }, { text: "carla GROWS tomatoes" }] });
    await settle();
    if (first.mode !== "sync" || second.mode !== "sync") throw new Error("expected sync adds");
    const proposals = (await client.decisions.list("notes")).filter((d) => d.status === "proposed");
    expect(proposals.map((p) => p.memoryId)).toEqual(second.memories.map((m) => m.memoryId));
    expect((await client.memories.get(second.memories[0]!.memoryId)).status).toBe("activated");
    expect((await client.decisions.accept(proposals[0]!.decisionId)).status).toBe("applied");
    expect((await client.memories.get(second.memories[0]!.memoryId)).successorId).toBe(first.memories[0]!.memoryId);
    expect((await client.decisions.reject(proposals[1]!.decisionId)).status).toBe("rejected");
    expect((await client.memories.get(second.memories[1]!.memoryId)).status).toBe("activated");
    expect((await failureOf(client.decisions.accept(proposals[1]!.decisionId)))._tag).toBe("DecisionNotPending");
  });
});

import { afterEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { decideJobKind } from "../src/memoryDecisions/enqueueDecisions.js";
import type { ChatModelPort, StructuredRequest } from "../src/chatModel/chatModelPort.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (disposers.length > 0) await disposers.pop()!();
});

async function open(options: Parameters<typeof tempLedger>[0] = {}) {
  const t = await tempLedger(options);
  disposers.push(t.dispose);
  await t.ledger.cubes.create({ cubeId: "alice", name: "Alice", owner: { kind: "user", id: "alice" } });
  return t;
}

/** Waits for every decision job of the cube to finish. */
async function decisionsSettled(ledger: MemLedger, cubeId = "alice") {
  for (const job of await ledger.jobs.list({ kind: decideJobKind, cubeId })) {
    const waited = await ledger.jobs.wait(job.jobId, 20_000);
    expect(waited.job.status, JSON.stringify(waited.job)).toBe("done");
  }
}

async function add(ledger: MemLedger, ...texts: string[]) {
  const result = await ledger.memories.add("alice", { memories: texts.map((text) => ({ text })) });
  await decisionsSettled(ledger);
  return result.mode === "sync" ? result.memories.map((m) => m.memoryId) : [];
}

/** A chat model that answers each structured request with what `answer` returns, and remembers the requests. */
function fakeModel(answer: (request: StructuredRequest) => unknown): ChatModelPort & { requests: StructuredRequest[] } {
  const requests: StructuredRequest[] = [];
  return {
    model: "fake-decider",
    requests,
    complete: async () => ({ text: "", model: "fake-decider", usage: { promptTokens: 0, completionTokens: 0 }, calls: 1 }),
    completeStructured: async <T,>(request: StructuredRequest) => {
      requests.push(request);
      return { value: answer(request) as T, model: "fake-decider", usage: { promptTokens: 10, completionTokens: 10 }, calls: 1, repaired: false };
    },
    stream: () => {
      throw new Error("not used");
    },
  };
}

const idsIn = (request: StructuredRequest) => [...JSON.stringify(request.messages).matchAll(/\\"id\\":\\"([^"\\]+)\\"/g)].map((m) => m[1]!);

describe("merge decisions on ingested units (library)", () => {
  it("an exact duplicate (normalised) is merged into the existing unit by rule, with lineage, and the decision says why", async () => {
    const { ledger } = await open();
    const [first] = await add(ledger, "Alice likes green tea.");
    const [second] = await add(ledger, "alice likes GREEN tea");
    expect((await ledger.memories.get(first!)).status).toBe("activated");
    const dup = await ledger.memories.get(second!);
    expect(dup.status).toBe("merged");
    expect(dup.successorId).toBe(first);
    const decisions = await ledger.decisions.list("alice");
    const made = decisions.find((d) => d.memoryId === second)!;
    expect(made).toMatchObject({ decision: "NOOP", targetIds: [first], decidedBy: { kind: "rule", rule: "exact-duplicate" }, status: "applied" });
    expect(made.candidates[0]).toMatchObject({ memoryId: first, jaccard: 1 });
    expect(made.reason).toMatch(/normalised text/);
    // The merge names the decision job as its cause.
    const merge = (await ledger.memories.history(second!)).at(-1)!;
    expect(merge).toMatchObject({ type: "MemoryMerged", actor: "system:dedupe", causationId: made.jobId, automation: { component: "dedupe", jobId: made.jobId } });
    // A rule decided: no model, no prompt.
    expect(merge.automation).not.toHaveProperty("model");
    expect(decisions.find((d) => d.memoryId === first)).toMatchObject({ decision: "ADD", decidedBy: { kind: "fallback", why: "no-candidates" } });
  });

  it("a paraphrase that adds nothing is a NOOP by rule; one that extends the old text is an UPDATE by rule", async () => {
    const { ledger } = await open();
    const [old] = await add(ledger, "Bob works at the ACME factory in Berlin");
    const [same] = await add(ledger, "Bob works at ACME factory, Berlin");
    expect((await ledger.memories.get(same!)).successorId).toBe(old);
    const [fuller] = await add(ledger, "Bob works at the ACME factory in Berlin as a welder");
    const updated = await ledger.memories.get(old!);
    expect(updated.content?.text).toBe("Bob works at the ACME factory in Berlin as a welder");
    expect(updated.version).toBe(2);
    expect((await ledger.memories.get(fuller!)).successorId).toBe(old);
    const rules = (await ledger.decisions.list("alice")).map((d) => d.decidedBy.kind === "rule" ? d.decidedBy.rule : d.decidedBy.kind);
    expect(rules).toEqual(["fallback", "contained-in-existing", "extends-existing"]);
  });

  it("a differing number keeps both units: 'room 4' and 'room 5' are different facts", async () => {
    const { ledger } = await open();
    const ids = await add(ledger, "The weekly meeting with Carol is in room 4");
    const [other] = await add(ledger, "The weekly meeting with Carol is in room 5");
    expect((await ledger.memories.get(ids[0]!)).status).toBe("activated");
    expect((await ledger.memories.get(other!)).status).toBe("activated");
  });

  it("two equal units in one add: the first stays, the second merges into it", async () => {
    const { ledger } = await open();
    const [a, b] = await add(ledger, "Dana plays the violin", "Dana plays the violin");
    expect((await ledger.memories.get(a!)).status).toBe("activated");
    expect((await ledger.memories.get(b!)).successorId).toBe(a);
  });

  it("without a model, what no rule decides is ADD, and says so", async () => {
    const { ledger } = await open();
    await add(ledger, "Alice lives in Paris");
    const [lyon] = await add(ledger, "Alice lives in Lyon now");
    expect((await ledger.memories.get(lyon!)).status).toBe("activated");
    const d = (await ledger.decisions.list("alice")).find((x) => x.memoryId === lyon)!;
    expect(d).toMatchObject({ decision: "ADD", decidedBy: { kind: "fallback", why: "no-model" } });
  });

  it("the model decides an UPDATE; its model and prompt version land on the decision and the events", async () => {
    const model = fakeModel((r) => ({ decision: "UPDATE", targetIds: [idsIn(r)[0]], mergedText: "", contradicts: [], reason: "newer job title" }));
    const { ledger } = await open({ chatModel: model });
    const [old] = await add(ledger, "Erin is a junior engineer at Initech");
    const [next] = await add(ledger, "Erin got promoted: senior engineer at Initech");
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.schemaName).toBe("memory_decision");
    const updated = await ledger.memories.get(old!);
    expect(updated.content?.text).toBe("Erin got promoted: senior engineer at Initech");
    expect((await ledger.memories.get(next!)).successorId).toBe(old);
    const d = (await ledger.decisions.list("alice")).find((x) => x.memoryId === next)!;
    expect(d).toMatchObject({ decision: "UPDATE", reason: "newer job title", decidedBy: { kind: "model", model: "fake-decider", prompt: "memory.decide@1" } });
    const edit = (await ledger.memories.history(old!)).at(-1)!;
    expect(edit).toMatchObject({ type: "MemoryEdited", actor: "system:dedupe", causationId: d.jobId, automation: { component: "dedupe", model: "fake-decider", prompt: "memory.decide@1", jobId: d.jobId } });
  });

  it("a contradiction closes the old fact's validity at the new fact's event time; the old fact stays active and ranks after the valid one", async () => {
    const model = fakeModel((r) => ({ decision: "ADD", targetIds: [], mergedText: "", contradicts: [idsIn(r)[0]], reason: "moved" }));
    const { ledger } = await open({ chatModel: model });
    const [paris] = await add(ledger, "Alice lives in Paris");
    const result = await ledger.memories.add("alice", { memories: [{ text: "Alice lives in Lyon", eventTime: "2026-02-01T00:00:00.000Z" }] });
    await decisionsSettled(ledger);
    const lyon = result.mode === "sync" ? result.memories[0]!.memoryId : "";
    const old = await ledger.memories.get(paris!);
    expect(old.status).toBe("activated");
    expect(old.content?.metadata.validUntil).toBe("2026-02-01T00:00:00.000Z");
    expect((await ledger.decisions.list("alice")).find((d) => d.memoryId === lyon)).toMatchObject({ decision: "ADD", contradicts: [paris], validUntil: "2026-02-01T00:00:00.000Z" });
    const hits = await ledger.search({ query: "Alice lives in Paris", cubeIds: ["alice"] });
    expect(hits.results.map((h) => h.memory.memoryId)).toEqual([lyon, paris]);
  });

  it("the model's MERGE writes the combined unit; both old ones go merged into it; revert restores both exactly and archives the combined one", async () => {
    const model = fakeModel((r) => ({ decision: "MERGE", targetIds: [idsIn(r)[0]], mergedText: "Frank has a dog called Rex and a cat called Tom", contradicts: [], reason: "same pets" }));
    const { ledger } = await open({ chatModel: model });
    const [dog] = await add(ledger, "Frank has a dog called Rex");
    const dogBefore = await ledger.memories.get(dog!);
    const result = await ledger.memories.add("alice", { memories: [{ text: "Frank also has a cat, Tom" }] });
    const catBefore = result.mode === "sync" ? result.memories[0]! : undefined!;
    await decisionsSettled(ledger);
    const d = (await ledger.decisions.list("alice")).find((x) => x.memoryId === catBefore.memoryId)!;
    expect(d.decision).toBe("MERGE");
    const successor = await ledger.memories.get(d.successorId!);
    expect(successor).toMatchObject({ status: "activated", content: { text: "Frank has a dog called Rex and a cat called Tom" } });
    expect((await ledger.memories.get(dog!)).successorId).toBe(d.successorId);
    expect((await ledger.memories.get(catBefore.memoryId)).successorId).toBe(d.successorId);

    const reverted = await ledger.decisions.revert(d.decisionId);
    expect(reverted.status).toBe("reverted");
    const pick = (v: { status: string; content: unknown; attributes: unknown; successorId?: string }) => ({ status: v.status, content: v.content, attributes: v.attributes, successorId: v.successorId });
    expect(pick(await ledger.memories.get(dog!))).toEqual(pick(dogBefore));
    expect(pick(await ledger.memories.get(catBefore.memoryId))).toEqual(pick(catBefore));
    expect((await ledger.memories.get(d.successorId!)).status).toBe("archived");
    expect((await failureOf(ledger.decisions.revert(d.decisionId)))._tag).toBe("DecisionNotPending");
  });

  it("propose mode: nothing changes until a person accepts; a rejected proposal changes nothing", async () => {
    const { ledger } = await open();
    await ledger.decisions.setMode("alice", "propose");
    expect(await ledger.decisions.mode("alice")).toEqual({ cubeId: "alice", mode: "propose" });
    const [a] = await add(ledger, "Gina drinks her coffee black");
    const [b] = await add(ledger, "Gina drinks her coffee black.");
    const [c] = await add(ledger, "gina drinks her coffee BLACK");
    expect((await ledger.memories.get(b!)).status).toBe("activated");
    const proposals = (await ledger.decisions.list("alice")).filter((d) => d.status === "proposed");
    expect(proposals.map((p) => p.memoryId)).toEqual([b, c]);
    const accepted = await ledger.decisions.accept(proposals[0]!.decisionId);
    expect(accepted.status).toBe("applied");
    expect((await ledger.memories.get(b!)).successorId).toBe(a);
    const rejected = await ledger.decisions.reject(proposals[1]!.decisionId);
    expect(rejected.status).toBe("rejected");
    expect((await ledger.memories.get(c!)).status).toBe("activated");
    // An accepted decision can be reverted like any applied one.
    await ledger.decisions.revert(accepted.decisionId);
    expect((await ledger.memories.get(b!)).status).toBe("activated");
  });

  it("mode off: no decisions are made", async () => {
    const { ledger } = await open();
    await ledger.decisions.setMode("alice", "off");
    const [a, b] = await add(ledger, "Hugo likes jazz", "Hugo likes jazz");
    expect((await ledger.memories.get(a!)).status).toBe("activated");
    expect((await ledger.memories.get(b!)).status).toBe("activated");
    expect(await ledger.decisions.list("alice")).toEqual([]);
  });

  it("async add: the ingestion job activates the units, then a decision job merges the duplicate", async () => {
    const { ledger } = await open();
    const [kept] = await add(ledger, "Olga sings in a choir");
    const result = await ledger.memories.add("alice", { mode: "async", memories: [{ text: "Olga sings in a choir." }] });
    if (result.mode !== "async") throw new Error("expected an async add");
    expect((await ledger.jobs.wait(result.job.jobId, 20_000)).job.status).toBe("done");
    await decisionsSettled(ledger);
    expect(await ledger.memories.get(result.memoryIds[0]!)).toMatchObject({ status: "merged", successorId: kept });
  });

  it("unknown decisions and cubes are 404s", async () => {
    const { ledger } = await open();
    expect((await failureOf(ledger.decisions.get("nope")))._tag).toBe("DecisionNotFound");
    expect((await failureOf(ledger.decisions.list("no-cube")))._tag).toBe("CubeNotFound");
    expect((await failureOf(ledger.decisions.setMode("alice", "sometimes" as never)))._tag).toBe("InvalidRequest");
  });
});

import { Effect } from "effect";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { openEventStoreDbEventStore } from "../src/eventStore/eventStoreDbEventStore.js";
import type { EventStorePort, NewEvent } from "../src/eventStore/eventStorePort.js";
import { genesisHash } from "../src/eventStore/eventHashChain.js";
import { walkEsdbChain } from "../src/tamperEvidence/esdbChainWalk.js";
import { signEsdbCheckpoint, type EsdbCheckpointLine } from "../src/tamperEvidence/esdbCheckpoints.js";
import { chainField, nextEsdbStreamHash, storedStreamHash } from "../src/eventStore/esdbStreamChain.js";
import { FakeEventStoreDbClient, type FakeRecord } from "./support/fakeEventStoreDbClient.js";

/**
 * The EventStoreDB tamper walk against an in-memory `$all` (no server): events written through the real
 * adapter, then tampered with the way someone with access to the server's files or its client would.
 * The same scenarios run against a live server in test/esdbTamperEvidence.eventstoredb.test.ts.
 */

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const event = (type: string, data: unknown, tenantId = "t1"): NewEvent => ({
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  data,
  metadata: { tenantId, actor: "walk-test", correlationId: randomUUID(), recordedAt: "2026-01-01T00:00:00.000Z" },
});

let fake: FakeEventStoreDbClient;
let store: EventStorePort;
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);

beforeEach(async () => {
  fake = new FakeEventStoreDbClient();
  store = openEventStoreDbEventStore({ url: "esdb://fake:2113?tls=false", client: fake.asClient() });
  // Two interleaved streams, batches and single appends, `any` and expected revisions, and a system record.
  await run(store.append("cube-a", [event("CubeCreated", { name: "a" }), event("MemoryAdded", { text: "alpha" })], "no_stream"));
  await run(store.append("cube-b", [event("CubeCreated", { name: "b" }, "t2")], "any"));
  await run(store.append("cube-a", [event("MemoryAdded", { text: "beta" })], 1));
  fake.store("$stats-127.0.0.1:2113", { id: randomUUID(), type: "$statsCollected", data: { cpu: 3 }, metadata: {} });
  await run(store.append("cube-b", [event("MemoryAdded", { text: "gamma" }, "t2"), event("MemoryAdded", { text: "delta" }, "t2")], "stream_exists"));
  await run(store.append("cube-a", [event("MemoryAdded", { text: "epsilon" })], "any"));
});

const verify = (checkpoints: readonly EsdbCheckpointLine[] = []) => walkEsdbChain(fake.reader(), { checkpoints, publicKey });
const userRecords = () => fake.records.filter((r) => !r.streamId.startsWith("$"));
const recordOf = (streamId: string, revision: number): FakeRecord => fake.records.find((r) => r.streamId === streamId && r.revision === BigInt(revision))!;

/** Signs the log as it is now. */
async function checkpointNow(): Promise<EsdbCheckpointLine[]> {
  const { head } = await verify();
  return [{ line: 1, checkpoint: signEsdbCheckpoint(privateKey, head!, new Date("2026-02-01T00:00:00Z")) }];
}

/** Rewrites one event and recomputes every stream hash after it: the stream chains stay consistent. */
function rewriteWithRecomputedHashes(streamId: string, revision: number, data: unknown): void {
  const records = fake.records.filter((r) => r.streamId === streamId).sort((a, b) => Number(a.revision - b.revision));
  let previous = revision === 0 ? genesisHash : storedStreamHash(records[revision - 1]!.metadata)!;
  for (const r of records.slice(revision)) {
    if (r.revision === BigInt(revision)) r.data = data;
    const { [chainField]: _old, ...rest } = r.metadata as Record<string, unknown>;
    previous = nextEsdbStreamHash(previous, { streamId, revision: r.revision, eventId: r.id, type: r.type, data: r.data, metadata: rest });
    r.metadata = { ...rest, [chainField]: { v: 1, streamHash: previous.toString("hex") } };
  }
}

describe("EventStoreDB tamper walk over an in-memory $all", () => {
  it("a log written by the adapter verifies: every user event chained, the system record skipped, a signed checkpoint holds", async () => {
    expect(userRecords()).toHaveLength(7);
    expect(userRecords().every((r) => storedStreamHash(r.metadata) !== undefined)).toBe(true);
    const checkpoints = await checkpointNow();
    const { report } = await verify(checkpoints);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, events: 7, streams: 2, unchained: 0, checkpoints: { found: 1, verified: 1 } });
    // The engine never sees the chain: it is read back out of the metadata.
    const read = await run(store.readStream("cube-a"));
    expect(read.map((e) => Object.keys(e.metadata))).not.toContainEqual(expect.arrayContaining([chainField]));
  });

  it("changed: a flipped data byte is named at its event", async () => {
    recordOf("cube-a", 1).data = { text: "alphA" };
    const { report } = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ kind: "changed", streamId: "cube-a", revision: 1, tenantId: "t1" });
    expect(report.problems).toHaveLength(1);
  });

  it("changed: edited metadata (another tenant) and a changed type are caught too", async () => {
    (recordOf("cube-b", 1).metadata as Record<string, unknown>)["tenantId"] = "t1";
    recordOf("cube-a", 2).type = "MemoryForgotten";
    const { report } = await verify();
    expect(report.problems.map((p) => [p.kind, p.streamId, p.revision])).toEqual([
      ["changed", "cube-a", 2],
      ["changed", "cube-b", 1],
    ]);
  });

  it("removed: an event deleted from the middle of a stream leaves a revision gap", async () => {
    fake.records.splice(fake.records.indexOf(recordOf("cube-a", 1)), 1);
    const { report } = await verify();
    expect(report.firstBad).toMatchObject({ kind: "removed", streamId: "cube-a", revision: 2 });
    expect(report.firstBad!.message).toContain("revision 1 was removed");
  });

  it("removed: the last event of a stream, deleted, is caught by the checkpoint after it", async () => {
    const checkpoints = await checkpointNow();
    fake.records.splice(fake.records.indexOf(recordOf("cube-b", 2)), 1);
    const { report } = await verify(checkpoints);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.firstBad).toMatchObject({ kind: "checkpoint" });
  });

  it("removed: the very event a checkpoint signed, deleted, is named by its position", async () => {
    const checkpoints = await checkpointNow();
    const last = userRecords().at(-1)!;
    fake.records.push({ ...last, streamId: "$$late", type: "$metadata", data: {}, metadata: {}, position: { commit: last.position.commit + 50n, prepare: last.position.commit + 50n } });
    fake.records.splice(fake.records.indexOf(last), 1);
    const { report } = await verify(checkpoints);
    expect(report.problems.map((p) => p.kind)).toContain("removed");
    expect(report.problems.find((p) => p.kind === "removed")!.position).toBe(Number(last.position.commit));
  });

  it("out_of_order: two events of a stream swapped in $all", async () => {
    const [i, j] = [fake.records.indexOf(recordOf("cube-a", 1)), fake.records.indexOf(recordOf("cube-a", 2))];
    const [first, second] = [fake.records[i]!, fake.records[j]!];
    // Swap the records but keep the positions in place, as a rewrite of the log file would.
    [fake.records[i], fake.records[j]] = [{ ...second, position: first.position }, { ...first, position: second.position }];
    const { report } = await verify();
    expect(report.problems.map((p) => p.kind)).toEqual(expect.arrayContaining(["out_of_order"]));
    expect(report.ok).toBe(false);
  });

  it("out_of_order across streams: swapping events of two streams changes the running hash, and the checkpoint says so", async () => {
    const checkpoints = await checkpointNow();
    const [i, j] = [fake.records.indexOf(recordOf("cube-a", 2)), fake.records.indexOf(recordOf("cube-b", 1))];
    const [first, second] = [fake.records[i]!, fake.records[j]!];
    [fake.records[i], fake.records[j]] = [{ ...second, position: first.position }, { ...first, position: second.position }];
    const { report } = await verify(checkpoints);
    expect(report.problems.map((p) => p.kind)).toEqual(["checkpoint"]);
  });

  it("inserted: a forged event without a chain is unhashed; one with a made-up hash is changed", async () => {
    fake.store("cube-a", { id: randomUUID(), type: "MemoryAdded", data: { text: "forged" }, metadata: { tenantId: "t1", schemaVersion: 1 } });
    fake.store("cube-b", { id: randomUUID(), type: "MemoryAdded", data: { text: "forged" }, metadata: { tenantId: "t2", schemaVersion: 1, [chainField]: { v: 1, streamHash: "ab".repeat(32) } } });
    const { report } = await verify();
    expect(report.problems.map((p) => [p.kind, p.streamId, p.revision])).toEqual([
      ["unhashed", "cube-a", 4],
      ["changed", "cube-b", 3],
    ]);
  });

  it("rewritten with recomputed hashes: the stream chain holds, only the signed checkpoint catches it", async () => {
    const checkpoints = await checkpointNow();
    rewriteWithRecomputedHashes("cube-a", 1, { text: "rewritten" });
    expect((await verify()).report.ok).toBe(true);
    const { report } = await verify(checkpoints);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.firstBad).toMatchObject({ kind: "checkpoint" });
    expect(report.firstBad!.message).toContain("was rewritten");
  });

  it("checkpoint: a forged signature, an altered line and an unreadable line are reported", async () => {
    const [good] = await checkpointNow();
    if (!good || !("checkpoint" in good)) throw new Error("no checkpoint signed");
    const signed = good.checkpoint;
    const other = generateKeyPairSync("ed25519").privateKey;
    const forged = signEsdbCheckpoint(other, { position: { commit: BigInt(signed.position), prepare: BigInt(signed.prepare) }, chainHash: Buffer.from(signed.chainHash, "hex") }, new Date());
    const { report } = await verify([
      { line: 1, checkpoint: forged },
      { line: 2, checkpoint: { ...signed, chainHash: "00".repeat(32) } },
      { line: 3, unreadable: "not JSON" },
      { line: 4, checkpoint: signed },
    ]);
    expect(report.problems.map((p) => p.kind)).toEqual(["checkpoint", "checkpoint", "checkpoint"]);
    expect(report.checkpoints).toMatchObject({ found: 4, verified: 1 });
  });

  it("truncated: events cut from the end of $all, past a signed checkpoint", async () => {
    const checkpoints = await checkpointNow();
    fake.records.splice(fake.records.length - 2, 2);
    const { report } = await verify(checkpoints);
    expect(report.problems.map((p) => p.kind)).toEqual(["truncated"]);
  });

  it("truncated and removed: stream metadata that truncates a user stream ($tb, a soft delete) and a tombstone", async () => {
    fake.store("$$cube-a", { id: randomUUID(), type: "$metadata", data: { $tb: 2 }, metadata: {} });
    fake.store("cube-b", { id: randomUUID(), type: "$streamDeleted", data: {}, metadata: {}, revision: 2n ** 63n - 1n });
    // A system stream's own metadata is not the log's business.
    fake.store("$$$stats", { id: randomUUID(), type: "$metadata", data: { $maxAge: 60 }, metadata: {} });
    const { report } = await verify();
    expect(report.problems.map((p) => [p.kind, p.streamId])).toEqual([
      ["truncated", "cube-a"],
      ["removed", "cube-b"],
    ]);
  });

  it("a log written before chains verifies, its events counted as unchained; an unchained event after chaining began does not", async () => {
    const legacy = new FakeEventStoreDbClient();
    legacy.store("old", { id: randomUUID(), type: "Legacy", data: { n: 1 }, metadata: { tenantId: "t1" } });
    legacy.store("old", { id: randomUUID(), type: "Legacy", data: { n: 2 }, metadata: { tenantId: "t1" } });
    const adapter = openEventStoreDbEventStore({ url: "esdb://fake:2113?tls=false", client: legacy.asClient() });
    // Appending after an unchained event starts the chain again from it.
    await run(adapter.append("old", [event("MemoryAdded", { n: 3 })], "any"));
    const before = (await walkEsdbChain(legacy.reader())).report;
    expect(before).toMatchObject({ ok: true, unchained: 2, events: 3 });
    legacy.store("old", { id: randomUUID(), type: "Legacy", data: { n: 4 }, metadata: { tenantId: "t1" } });
    expect((await walkEsdbChain(legacy.reader())).report.firstBad).toMatchObject({ kind: "unhashed", revision: 3 });
  });

  it("reports progress and counts what it walked", async () => {
    const seen: [number, number][] = [];
    const { report } = await walkEsdbChain(fake.reader(), { progressEvery: 2, onProgress: (position, head) => seen.push([position, head]) });
    expect(report.ok).toBe(true);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(seen.at(-1)![0]).toBe(seen.at(-1)![1]);
  });
});

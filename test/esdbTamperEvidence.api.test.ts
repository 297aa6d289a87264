import { Effect, Either } from "effect";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openEventStoreDbEventStore } from "../src/eventStore/eventStoreDbEventStore.js";
import type { EventStorePort, NewEvent } from "../src/eventStore/eventStorePort.js";
import { walkEsdbChain } from "../src/tamperEvidence/esdbChainWalk.js";
import { rootEsdbTamperEvidence } from "../src/tamperEvidence/esdbTamperEvidenceApi.js";
import { eventStoreUrlOf, runEsdbAuditCheckpointCommand, runEsdbAuditVerifyCommand } from "../src/tamperEvidence/esdbAuditCommands.js";
import { chainField, nextEsdbStreamHash, storedStreamHash } from "../src/eventStore/esdbStreamChain.js";
import { genesisHash } from "../src/eventStore/eventHashChain.js";
import { scopedTamperEvidence } from "../src/tamperEvidence/tamperEvidenceApi.js";
import { FakeEventStoreDbClient } from "./support/fakeEventStoreDbClient.js";

/**
 * The adapter's chaining under races and retries, and tamper evidence of an EventStoreDB-backed ledger
 * (ledger.tamperEvidence, the CLI runners), over the in-memory client: no server needed.
 */

const url = "esdb://admin:secret@fake:2113?tls=false";
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const event = (text: string, tenantId = "t1"): NewEvent => ({
  eventId: randomUUID(),
  type: "MemoryAdded",
  schemaVersion: 1,
  data: { text },
  metadata: { tenantId, actor: "api-test", correlationId: randomUUID(), recordedAt: "2026-01-01T00:00:00.000Z" },
});

let fake: FakeEventStoreDbClient;
let store: EventStorePort;
let dataDir: string;
beforeEach(() => {
  fake = new FakeEventStoreDbClient();
  store = openEventStoreDbEventStore({ url, client: fake.asClient() });
  dataDir = mkdtempSync(join(tmpdir(), "esdb-tamper-"));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const intact = async () => (await walkEsdbChain(fake.reader())).report;

describe("the adapter chains every append", () => {
  it("an `any` append that loses a race to another writer is chained after that writer's event, not forked", async () => {
    await run(store.append("s", [event("one")], "no_stream"));
    const other = openEventStoreDbEventStore({ url, client: fake.asClient() });
    fake.beforeAppend = () => run(other.append("s", [event("theirs")], "any")).then(() => undefined);
    const result = await run(store.append("s", [event("mine"), event("mine too")], "any"));
    expect(result).toMatchObject({ nextExpectedRevision: 3, alreadyApplied: false });
    // Ours was refused once (pinned to revision 0) and written after theirs.
    expect(fake.appends).toBe(4);
    expect(fake.records.map((r) => (r.data as { text: string }).text)).toEqual(["one", "theirs", "mine", "mine too"]);
    expect(await intact()).toMatchObject({ ok: true, events: 4 });
  });

  it("an append with an expected revision is not retried: the caller's conflict stands", async () => {
    await run(store.append("s", [event("one"), event("two")], "no_stream"));
    const outcome = await Effect.runPromise(Effect.either(store.append("s", [event("late")], 0)));
    expect(Either.isLeft(outcome) && outcome.left._tag).toBe("ConcurrencyConflict");
    expect(fake.records).toHaveLength(2);
  });

  it("`stream_exists` on a missing stream is a conflict, not a retry loop", async () => {
    const outcome = await Effect.runPromise(Effect.either(store.append("nope", [event("x")], "stream_exists")));
    expect(Either.isLeft(outcome) && outcome.left._tag).toBe("ConcurrencyConflict");
    expect(fake.appends).toBe(1);
  });

  it("with the retry scan off (idempotencyWindow 0) the last event is still read and chained after", async () => {
    const bare = openEventStoreDbEventStore({ url, client: fake.asClient(), idempotencyWindow: 0 });
    await run(bare.append("s", [event("one")], "any"));
    await run(bare.append("s", [event("two")], "any"));
    await run(bare.append("s", [event("three")], 1));
    expect(await intact()).toMatchObject({ ok: true, events: 3 });
  });

  it("a retried batch is recognised and not written twice; reads never show the chain", async () => {
    const batch = [event("a"), event("b")];
    await run(store.append("s", batch, "any"));
    expect(await run(store.append("s", batch, "any"))).toMatchObject({ alreadyApplied: true, nextExpectedRevision: 1 });
    expect(fake.records).toHaveLength(2);
    expect(fake.records.every((r) => storedStreamHash(r.metadata))).toBe(true);
    const read = await run(store.readStream("s"));
    expect(read[0]!.metadata).toEqual(batch[0]!.metadata);
  });
});

describe("ledger.tamperEvidence on an EventStoreDB log", () => {
  const settings = () => ({ url, dataDir, client: fake.asClient() });

  it("signs a format-2 checkpoint beside the embedded one's file, verifies against it, and names tampering", async () => {
    await run(store.append("cube-1", [event("one"), event("two")], "no_stream"));
    await run(store.append("cube-2", [event("other", "t2")], "no_stream"));
    const api = rootEsdbTamperEvidence(settings());
    const checkpoint = await api.checkpoint();
    expect(checkpoint).toMatchObject({ format: 2, position: Number(fake.records.at(-1)!.position.commit), prepare: Number(fake.records.at(-1)!.position.prepare) });
    const line = JSON.parse(readFileSync(join(dataDir, "tamper", "eventstoredb-checkpoints.jsonl"), "utf8").trim());
    expect(line).toEqual(checkpoint);
    expect(await api.verify()).toMatchObject({ ok: true, file: "EventStoreDB $all", events: 3, checkpoints: { found: 1, verified: 1 } });
    expect((await api.publicKey()).publicKey).toContain("BEGIN PUBLIC KEY");

    (fake.records[2]!.data as { text: string }).text = "edited";
    const report = await api.verify();
    expect(report.ok).toBe(false);
    expect(report.firstBad).toMatchObject({ kind: "changed", streamId: "cube-2", tenantId: "t2" });
    // A principal of another tenant sees where and what, not whose.
    const scoped = scopedTamperEvidence(api, { tenantId: "t1", check: async () => undefined });
    const seen = await scoped.verify();
    expect(seen.firstBad).toEqual({ kind: "changed", position: report.firstBad!.position, message: expect.stringContaining("another tenant") });
    expect(JSON.stringify(seen)).not.toContain("secret");
  });

  it("a later checkpoint folds on from the last signed one: both verify, and it does not launder a change made before the first", async () => {
    await run(store.append("cube-1", [event("one"), event("two")], "no_stream"));
    const api = rootEsdbTamperEvidence(settings());
    await api.checkpoint();
    await run(store.append("cube-1", [event("three")], "any"));
    await run(store.append("cube-2", [event("four")], "any"));
    const second = await api.checkpoint();
    expect(second.position).toBe(Number(fake.records.at(-1)!.position.commit));
    expect(await api.verify()).toMatchObject({ ok: true, checkpoints: { found: 2, verified: 2 } });

    // Rewritten before the first checkpoint, with the stream's hashes recomputed by hand, then signed again:
    // the third checkpoint starts from the second's signed hash, so the history it vouches for is still the original.
    let previous = genesisHash;
    for (const r of fake.records.filter((r) => r.streamId === "cube-1")) {
      if (r.revision === 0n) r.data = { text: "rewritten" };
      const { [chainField]: _old, ...rest } = r.metadata as Record<string, unknown>;
      previous = nextEsdbStreamHash(previous, { streamId: r.streamId, revision: r.revision, eventId: r.id, type: r.type, data: r.data, metadata: rest });
      r.metadata = { ...rest, [chainField]: { v: 1, streamHash: previous.toString("hex") } };
    }
    await run(store.append("cube-2", [event("five")], "any"));
    await api.checkpoint();
    const report = await api.verify();
    expect(report.problems.filter((p) => p.kind === "checkpoint")).toHaveLength(3);
  });

  it("the CLI runners: exit 0 intact, 1 tampered, progress on stderr, and the password never printed", async () => {
    for (let i = 0; i < 5; i++) await run(store.append(`s${i}`, [event(`e${i}`)], "any"));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
    expect(await runEsdbAuditCheckpointCommand({ ...settings(), json: false }, io)).toBe(0);
    expect(out.join("")).toContain("signed checkpoint: $all position");
    expect(await runEsdbAuditVerifyCommand({ ...settings(), json: false }, io)).toBe(0);
    expect(out.at(-1)).toMatch(/^intact: EventStoreDB \$all: 5 events in 5 streams; 1 of 1 signed checkpoints verified/);
    expect(err.join("")).toMatch(/\$all position [\d,]+ of [\d,]+ \(100%\)/);
    fake.records.splice(1, 1);
    expect(await runEsdbAuditVerifyCommand({ ...settings(), json: true }, io)).toBe(1);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ ok: false, firstBad: { kind: "checkpoint" } });
    expect([...out, ...err].join("")).not.toContain("secret");
  });

  it("the CLI takes the server from --eventstore-url, else from the server's own configuration", () => {
    expect(eventStoreUrlOf("esdb://a:2113", {})).toBe("esdb://a:2113");
    expect(eventStoreUrlOf(undefined, { MEMLEDGER_EVENT_STORE: "eventstoredb", EVENTSTORE_URL: "esdb://b:2113" })).toBe("esdb://b:2113");
    expect(eventStoreUrlOf(undefined, { EVENTSTORE_URL: "esdb://b:2113" })).toBeUndefined();
  });
});

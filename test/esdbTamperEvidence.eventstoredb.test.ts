import { EventStoreDBClient, jsonEvent } from "@eventstore/db-client";
import { Effect } from "effect";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openEventStoreDbEventStore, redactUrl } from "../src/eventStore/eventStoreDbEventStore.js";
import type { EventStorePort, NewEvent } from "../src/eventStore/eventStorePort.js";
import type { AllLogReader } from "../src/tamperEvidence/allLogReader.js";
import { esdbAllLogReader } from "../src/tamperEvidence/esdbAllLogReader.js";
import { walkEsdbChain } from "../src/tamperEvidence/esdbChainWalk.js";
import { signEsdbCheckpoint } from "../src/tamperEvidence/esdbCheckpoints.js";
import { chainField, storedStreamHash } from "../src/eventStore/esdbStreamChain.js";

/**
 * The tamper scenarios of test/esdbTamperEvidence.walk.test.ts against a live EventStoreDB/KurrentDB server,
 * tampering through the client the way anyone with write access to the server could: unchained and forged
 * events, a soft-deleted stream, `$tb` truncation, a tombstone.
 * `EVENTSTORE_URL=esdb://localhost:2113?tls=false npx vitest run test/esdbTamperEvidence.eventstoredb.test.ts`.
 * The server may hold other data: each test walks `$all` but looks only at its own streams (and their metadata).
 */
const url = process.env.EVENTSTORE_URL;
const skipped = "EventStoreDB tamper-evidence scenarios SKIPPED: set EVENTSTORE_URL=esdb://localhost:2113?tls=false to run them";
if (!url) console.warn(skipped);

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const event = (text: string): NewEvent => ({
  eventId: randomUUID(),
  type: "MemoryAdded",
  schemaVersion: 1,
  data: { text },
  metadata: { tenantId: "t1", actor: "esdb-tamper-test", correlationId: randomUUID(), recordedAt: "2026-01-01T00:00:00.000Z" },
});

/** `$all` restricted to one test's streams and their stream metadata. */
function only(reader: AllLogReader, prefix: string): AllLogReader {
  return {
    async *readAll() {
      for await (const e of reader.readAll()) if (e.streamId.startsWith(prefix) || e.streamId.startsWith(`$$${prefix}`)) yield e;
    },
    headPosition: () => reader.headPosition(),
  };
}

describe.skipIf(!url)(`EventStoreDB tamper evidence against ${redactUrl(url ?? "")}`, () => {
  let client: EventStoreDBClient;
  let store: EventStorePort;
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  beforeAll(() => {
    client = EventStoreDBClient.connectionString(url!);
    store = openEventStoreDbEventStore({ url: url! });
  });
  afterAll(async () => {
    await run(store.close());
    await client.dispose();
  });

  const fresh = () => `tamper-${randomUUID()}-`;
  const walk = (prefix: string, checkpoints: Parameters<typeof walkEsdbChain>[1] = {}) => walkEsdbChain(only(esdbAllLogReader(client), prefix), { publicKey, ...checkpoints });

  it("events appended through the adapter carry a chain that verifies, and a signed checkpoint holds", async () => {
    const prefix = fresh();
    await run(store.append(`${prefix}a`, [event("one"), event("two")], "no_stream"));
    await run(store.append(`${prefix}b`, [event("three")], "any"));
    await run(store.append(`${prefix}a`, [event("four")], "any"));
    const [raw] = await (async () => {
      const out = [];
      for await (const r of client.readStream(`${prefix}a`, { maxCount: 1 })) out.push(r);
      return out;
    })();
    expect(storedStreamHash(raw!.event!.metadata)).toBeDefined();
    const first = await walk(prefix);
    expect(first.report).toMatchObject({ ok: true, events: 4, streams: 2, unchained: 0 });
    const checkpoint = signEsdbCheckpoint(privateKey, first.head!, new Date());
    expect((await walk(prefix, { checkpoints: [{ line: 1, checkpoint }] })).report).toMatchObject({ ok: true, checkpoints: { verified: 1 } });
  });

  it("an unchained event and one with a made-up hash, written through the client, are named", async () => {
    const prefix = fresh();
    await run(store.append(`${prefix}a`, [event("one")], "no_stream"));
    await client.appendToStream(`${prefix}a`, jsonEvent({ type: "MemoryAdded", data: { text: "forged" }, metadata: { tenantId: "t1", schemaVersion: 1 } }));
    await client.appendToStream(`${prefix}a`, jsonEvent({ type: "MemoryAdded", data: { text: "forged" }, metadata: { tenantId: "t1", schemaVersion: 1, [chainField]: { v: 1, streamHash: "ab".repeat(32) } } }));
    const { report } = await walk(prefix);
    expect(report.problems.map((p) => [p.kind, p.revision])).toEqual([
      ["unhashed", 1],
      ["changed", 2],
    ]);
  });

  it("truncation with $tb and a soft delete are reported as truncated; a tombstone as removed", async () => {
    const prefix = fresh();
    for (const name of ["cut", "soft", "hard"]) await run(store.append(`${prefix}${name}`, [event("one"), event("two"), event("three")], "no_stream"));
    await client.setStreamMetadata(`${prefix}cut`, { truncateBefore: 2 });
    await client.deleteStream(`${prefix}soft`);
    await client.tombstoneStream(`${prefix}hard`);
    const { report } = await walk(prefix);
    const byStream = (name: string) => report.problems.filter((p) => p.streamId === `${prefix}${name}`).map((p) => p.kind);
    expect(byStream("cut")).toContain("truncated");
    expect(byStream("soft")).toContain("truncated");
    expect(byStream("hard")).toContain("removed");
  });

  it("events written after a signed checkpoint by another tool are caught; the checkpoint still holds for what it signed", async () => {
    const prefix = fresh();
    await run(store.append(`${prefix}a`, [event("one")], "no_stream"));
    const { head } = await walk(prefix);
    const checkpoint = signEsdbCheckpoint(privateKey, head!, new Date());
    await client.appendToStream(`${prefix}a`, jsonEvent({ type: "MemoryAdded", data: { text: "forged" } }));
    const { report } = await walk(prefix, { checkpoints: [{ line: 1, checkpoint }] });
    expect(report.checkpoints.verified).toBe(1);
    expect(report.firstBad).toMatchObject({ kind: "unhashed", streamId: `${prefix}a`, revision: 1 });
  });
});

describe("EventStoreDB tamper evidence availability", () => {
  it.runIf(!url)(skipped, () => {});
});

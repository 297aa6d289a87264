import { Effect } from "effect";
import fc from "fast-check";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openEventStoreDbEventStore } from "../src/eventStore/eventStoreDbEventStore.js";
import { genesisHash } from "../src/eventStore/eventHashChain.js";
import { walkEsdbChain } from "../src/tamperEvidence/esdbChainWalk.js";
import { signEsdbCheckpoint } from "../src/tamperEvidence/esdbCheckpoints.js";
import { chainField, nextEsdbStreamHash, storedStreamHash } from "../src/eventStore/esdbStreamChain.js";
import { FakeEventStoreDbClient, type FakeRecord } from "./support/fakeEventStoreDbClient.js";

/**
 * For any log the adapter writes (streams, batch sizes, expectations drawn at random) and any one tampering
 * of its `$all` after a checkpoint was signed at its head, the walk says the log is not intact; untouched, it is.
 */

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const tampers = ["flip", "delete", "swap", "insertUnchained", "insertForged", "rewriteRecomputed"] as const;

const appendsArb = fc.array(fc.record({ stream: fc.integer({ min: 0, max: 3 }), size: fc.integer({ min: 1, max: 4 }), expectation: fc.constantFrom("any", "exact") }), { minLength: 2, maxLength: 10 });

async function writeLog(appends: readonly { stream: number; size: number; expectation: string }[]): Promise<FakeEventStoreDbClient> {
  const fake = new FakeEventStoreDbClient();
  const store = openEventStoreDbEventStore({ url: "esdb://fake:2113?tls=false", client: fake.asClient() });
  const revisions = new Map<number, number>();
  for (const { stream, size, expectation } of appends) {
    const events = Array.from({ length: size }, (_, i) => ({ eventId: randomUUID(), type: "MemoryAdded", schemaVersion: 1, data: { text: `s${stream}-${i}`, n: i }, metadata: { tenantId: "t1", actor: "prop", correlationId: randomUUID(), recordedAt: "2026-01-01T00:00:00.000Z" } }));
    const current = revisions.get(stream);
    const expected = expectation === "any" ? "any" : current === undefined ? "no_stream" : current;
    const result = await Effect.runPromise(store.append(`stream-${stream}`, events, expected));
    revisions.set(stream, result.nextExpectedRevision);
  }
  return fake;
}

function tamper(fake: FakeEventStoreDbClient, kind: (typeof tampers)[number], pick: number): void {
  const records = fake.records;
  const at = pick % records.length;
  const target = records[at]!;
  switch (kind) {
    case "flip":
      target.data = { ...(target.data as object), text: `${(target.data as { text: string }).text}!` };
      return;
    case "delete":
      records.splice(at, 1);
      return;
    case "swap": {
      const other = records[(at + 1) % records.length]!;
      if (other === target) return void records.splice(at, 1);
      const [i, j] = [records.indexOf(target), records.indexOf(other)];
      [records[i], records[j]] = [{ ...other, position: target.position }, { ...target, position: other.position }];
      return;
    }
    case "insertUnchained":
    case "insertForged": {
      const forged: FakeRecord = {
        ...target,
        id: randomUUID(),
        revision: target.revision + 1n,
        data: { text: "forged" },
        metadata: kind === "insertUnchained" ? { tenantId: "t1" } : { tenantId: "t1", [chainField]: { v: 1, streamHash: "cd".repeat(32) } },
        position: { commit: target.position.commit + 1n, prepare: target.position.prepare + 1n },
      };
      records.splice(at + 1, 0, forged);
      return;
    }
    case "rewriteRecomputed": {
      const stream = records.filter((r) => r.streamId === target.streamId);
      let previous = target.revision === 0n ? genesisHash : storedStreamHash(stream.find((r) => r.revision === target.revision - 1n)!.metadata)!;
      target.data = { text: "rewritten" };
      for (const r of stream.filter((r) => r.revision >= target.revision)) {
        const { [chainField]: _old, ...rest } = r.metadata as Record<string, unknown>;
        previous = nextEsdbStreamHash(previous, { streamId: r.streamId, revision: r.revision, eventId: r.id, type: r.type, data: r.data, metadata: rest });
        r.metadata = { ...rest, [chainField]: { v: 1, streamHash: previous.toString("hex") } };
      }
      return;
    }
  }
}

describe("EventStoreDB tamper walk, property", () => {
  it("any single tampering after a checkpoint is found; an untouched log verifies", async () => {
    await fc.assert(
      fc.asyncProperty(appendsArb, fc.constantFrom(...tampers), fc.nat(), async (appends, kind, pick) => {
        const fake = await writeLog(appends);
        const intact = await walkEsdbChain(fake.reader(), { publicKey });
        expect(intact.report.ok).toBe(true);
        const checkpoints = [{ line: 1, checkpoint: signEsdbCheckpoint(privateKey, intact.head!, new Date()) }];
        tamper(fake, kind, pick);
        const { report } = await walkEsdbChain(fake.reader(), { publicKey, checkpoints });
        expect(report.ok, `${kind} at ${pick % (fake.records.length || 1)} went unnoticed`).toBe(false);
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});

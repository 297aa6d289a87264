import { Effect } from "effect";
import { Kafka, logLevel, type IHeaders } from "kafkajs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import type { CheckpointStore } from "../src/checkpoints/checkpointStore.js";
import { openSqliteCheckpointStore } from "../src/checkpoints/sqliteCheckpointStore.js";
import type { EventStorePort, RecordedEvent } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { startKafkaEventRelay, type KafkaEventRelay, type KafkaEventRelayOptions, type RelayFailure } from "../src/feed/kafkaEventRelay.js";
import { isPublicMemoryEvent, publicEventWithoutContent, type PublicMemoryEvent } from "../src/feed/publicMemoryEvent.js";
import { startKafkaBroker, type KafkaTestBroker } from "./support/kafkaBroker.js";
import { tempLedger } from "./support/tempLedger.js";

interface ConsumedMessage {
  readonly key: string | undefined;
  readonly partition: number;
  readonly headers: Record<string, string>;
  readonly event: PublicMemoryEvent;
}

describe("the Kafka event relay (embedded SQLite log, real Kafka 3.9.1 KRaft broker)", () => {
  let broker: KafkaTestBroker;
  const cleanups: Array<() => Promise<void>> = [];
  const alice = { tenantId: "acme", actor: "user:alice", reason: "relay test" };

  // Generous: the first run fetches the broker's jars with Maven.
  beforeAll(async () => {
    broker = await startKafkaBroker();
  }, 180_000);
  afterAll(() => broker?.stop());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A ledger plus a second connection to its log, as a relay in its own process would have. */
  async function ledgerWithRelayStore(): Promise<{ ledger: MemLedger; store: EventStorePort; dataDir: string }> {
    const { ledger, dataDir, dispose } = await tempLedger({ defaultContext: alice });
    const store = openSqliteEventStore({ path: join(dataDir, "events.db"), pollIntervalMs: 50 });
    cleanups.push(dispose, () => Effect.runPromise(store.close()));
    return { ledger, store, dataDir };
  }

  function checkpointsIn(dataDir: string, file = "checkpoints.db"): CheckpointStore {
    const checkpoints = openSqliteCheckpointStore(join(dataDir, file));
    cleanups.push(() => checkpoints.close());
    return checkpoints;
  }

  async function startRelay(options: KafkaEventRelayOptions): Promise<KafkaEventRelay> {
    const relay = await startKafkaEventRelay({ kafkaLogLevel: logLevel.NOTHING, ...options });
    cleanups.push(() => relay.stop());
    return relay;
  }

  const uniqueTopic = (name: string) => `relay-test.${name}.${randomBytes(3).toString("hex")}`;

  async function memoryEventsInLog(store: EventStorePort): Promise<RecordedEvent[]> {
    const all = await Effect.runPromise(store.readAll({ after: 0, maxCount: 100_000 }));
    return all.filter(isPublicMemoryEvent);
  }

  async function waitUntilCaughtUp(relay: KafkaEventRelay, store: EventStorePort, timeoutMs = 20_000): Promise<void> {
    const head = await Effect.runPromise(store.headPosition());
    const deadline = Date.now() + timeoutMs;
    while (relay.stats().position < head) {
      if (Date.now() > deadline) throw new Error(`relay stuck at position ${relay.stats().position}, log head is ${head}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Every message on the topic, read up to the high-water marks, so the count is exact. */
  async function consumeAll(topic: string): Promise<ConsumedMessage[]> {
    const kafka = new Kafka({ clientId: "relay-test-reader", brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const remaining = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
    const messages: ConsumedMessage[] = [];
    if (remaining.size === 0) return messages;

    const consumer = kafka.consumer({ groupId: `relay-test-reader-${randomBytes(4).toString("hex")}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${messages.length} messages from ${topic}, still waiting for partitions ${[...remaining.keys()].join(",")}`)), 20_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            messages.push({
              key: message.key?.toString(),
              partition,
              headers: headerStrings(message.headers),
              event: JSON.parse(message.value?.toString() ?? "null"),
            });
            if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    return messages;
  }

  async function rememberSomeThings(ledger: MemLedger): Promise<{ tea: string; city: string }> {
    await ledger.cubes.create({ cubeId: "alice-cube", name: "Alice's memories", owner: { kind: "user", id: "alice" } });
    const tea = await ledger.memories.create({ cubeId: "alice-cube", text: "Alice likes green tea", userId: "alice", tags: ["drinks"] });
    const city = await ledger.memories.create({ cubeId: "alice-cube", text: "Alice lives in Lyon", userId: "alice", activate: false });
    await ledger.memories.activate(city.memoryId);
    await ledger.memories.edit(tea.memoryId, { content: { text: "Alice likes jasmine tea" } });
    await ledger.memories.edit(city.memoryId, { attributes: { confidence: 0.7 } });
    return { tea: tea.memoryId, city: city.memoryId };
  }

  it("publishes every memory event once, keyed by memory id, in each unit's order, with content withheld", async () => {
    const { ledger, store, dataDir } = await ledgerWithRelayStore();
    const { tea, city } = await rememberSomeThings(ledger);
    const topic = uniqueTopic("order");
    const relay = await startRelay({ eventStore: store, checkpoints: checkpointsIn(dataDir), brokers: broker.brokers, topic, batchSize: 3 });
    await waitUntilCaughtUp(relay, store);
    // Written while the relay waits: the subscription wakes it.
    await ledger.memories.archive(tea);
    await waitUntilCaughtUp(relay, store);

    const expected = await memoryEventsInLog(store);
    const messages = await consumeAll(topic);
    expect(messages).toHaveLength(expected.length);
    expect(relay.stats().published).toBe(expected.length);

    for (const memoryId of [tea, city]) {
      const ofUnit = messages.filter((m) => m.key === memoryId);
      expect(new Set(ofUnit.map((m) => m.partition)).size).toBe(1);
      expect(ofUnit.map((m) => m.event.eventId)).toEqual(expected.filter((e) => e.streamId === `memory-${memoryId}`).map((e) => e.eventId));
      expect(ofUnit.map((m) => m.event.revision)).toEqual(ofUnit.map((_, i) => i));
    }
    expect(messages.filter((m) => m.key === tea).map((m) => m.event.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryEdited", "MemoryArchived"]);

    const byEventId = new Map(expected.map((e) => [e.eventId, e]));
    for (const { key, headers, event } of messages) {
      const recorded = byEventId.get(event.eventId);
      expect(recorded).toBeDefined();
      if (!recorded) continue;
      expect(event).toEqual(publicEventWithoutContent(recorded));
      expect(key).toBe(event.memoryId);
      expect(event.data).not.toHaveProperty("content");
      expect(event.contentWithheld).toBe(recorded.type === "MemoryCreated" || (recorded.type === "MemoryEdited" && "content" in (recorded.data as object)));
      expect(headers).toMatchObject({ "event-id": recorded.eventId, "event-type": recorded.type, "schema-version": String(recorded.schemaVersion), position: String(recorded.position) });
    }
    expect(JSON.stringify(messages)).not.toContain("jasmine");
  });

  it("resumes after its checkpoint: a restarted relay publishes only the new events, with no duplicates after a clean stop", async () => {
    const { ledger, store, dataDir } = await ledgerWithRelayStore();
    const { tea } = await rememberSomeThings(ledger);
    const topic = uniqueTopic("resume");

    const firstCheckpoints = openSqliteCheckpointStore(join(dataDir, "checkpoints.db"));
    const first = await startKafkaEventRelay({ eventStore: store, checkpoints: firstCheckpoints, brokers: broker.brokers, topic, batchSize: 4, kafkaLogLevel: logLevel.NOTHING });
    await waitUntilCaughtUp(first, store);
    await first.stop();
    const publishedBefore = first.stats().published;
    const headAtStop = await Effect.runPromise(store.headPosition());
    expect(first.stats().position).toBe(headAtStop);
    await firstCheckpoints.close();

    const later = await ledger.memories.create({ cubeId: "alice-cube", text: "Alice has a cat", userId: "alice" });
    await ledger.memories.edit(tea, { content: { tags: ["drinks", "mornings"] } });
    const newEvents = (await memoryEventsInLog(store)).filter((e) => e.position > headAtStop);
    expect(newEvents.map((e) => e.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryEdited"]);

    const second = await startRelay({ eventStore: store, checkpoints: checkpointsIn(dataDir), brokers: broker.brokers, topic, batchSize: 4 });
    await waitUntilCaughtUp(second, store);
    expect(second.stats().published).toBe(newEvents.length);

    const messages = await consumeAll(topic);
    const allMemoryEvents = await memoryEventsInLog(store);
    expect(messages).toHaveLength(publishedBefore + newEvents.length);
    expect(messages).toHaveLength(allMemoryEvents.length);
    expect(new Set(messages.map((m) => m.event.eventId)).size).toBe(messages.length);
    expect(messages.filter((m) => m.key === later.memoryId)).toHaveLength(2);
  });

  it("starts from position 0 when its checkpoint file is fresh", async () => {
    const { ledger, store, dataDir } = await ledgerWithRelayStore();
    await rememberSomeThings(ledger);
    const checkpoints = checkpointsIn(dataDir, "fresh-checkpoints.db");
    const topic = uniqueTopic("fresh");
    expect(await checkpoints.load(`kafka-relay:${topic}`)).toBeUndefined();

    const relay = await startRelay({ eventStore: store, checkpoints, brokers: broker.brokers, topic });
    await waitUntilCaughtUp(relay, store);

    const head = await Effect.runPromise(store.headPosition());
    expect(await checkpoints.load(`kafka-relay:${topic}`)).toBe(head);
    // Kafka orders within a partition only, so compare in log order.
    const inLogOrder = (await consumeAll(topic)).sort((a, b) => a.event.position - b.event.position);
    expect(inLogOrder.map((m) => m.event.eventId)).toEqual((await memoryEventsInLog(store)).map((e) => e.eventId));
  });

  it("retries a failing batch with backoff and keeps the checkpoint where it was until the batch is acknowledged", async () => {
    const { ledger, store, dataDir } = await ledgerWithRelayStore();
    await rememberSomeThings(ledger);
    const checkpoints = checkpointsIn(dataDir);
    const topic = uniqueTopic("retry");
    const failures: Array<RelayFailure & { savedCheckpoint: number | undefined }> = [];
    let failuresLeft = 2;
    const relay = await startRelay({
      eventStore: store,
      checkpoints,
      brokers: broker.brokers,
      topic,
      toMessage: (event) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error("simulated publish failure");
        }
        return publicEventWithoutContent(event);
      },
      onRetry: (failure) => void checkpoints.load(`kafka-relay:${topic}`).then((savedCheckpoint) => failures.push({ ...failure, savedCheckpoint })),
    });
    await waitUntilCaughtUp(relay, store);

    expect(failures.map((f) => ({ after: f.after, attempt: f.attempt, savedCheckpoint: f.savedCheckpoint }))).toEqual([
      { after: 0, attempt: 1, savedCheckpoint: undefined },
      { after: 0, attempt: 2, savedCheckpoint: undefined },
    ]);
    const messages = await consumeAll(topic);
    expect(messages).toHaveLength((await memoryEventsInLog(store)).length);
    expect(new Set(messages.map((m) => m.event.eventId)).size).toBe(messages.length);
  });

  it("resends only the batch whose checkpoint save failed: every event arrives, and only that batch arrives twice", async () => {
    const { ledger, store, dataDir } = await ledgerWithRelayStore();
    await rememberSomeThings(ledger);
    const saved = checkpointsIn(dataDir);
    let saves = 0;
    // The second save fails after its batch was acknowledged, as a crash between send and checkpoint would.
    const crashingOnce: CheckpointStore = {
      load: (consumer) => saved.load(consumer),
      save: async (consumer, position) => {
        saves += 1;
        if (saves === 2) throw new Error("simulated crash before the checkpoint was saved");
        await saved.save(consumer, position);
      },
      close: () => saved.close(),
    };
    const batchSize = 3;
    const failures: RelayFailure[] = [];
    const topic = uniqueTopic("resend");
    const relay = await startRelay({ eventStore: store, checkpoints: crashingOnce, brokers: broker.brokers, topic, batchSize, onRetry: (failure) => failures.push(failure) });
    await waitUntilCaughtUp(relay, store);

    expect(failures).toHaveLength(1);
    const failedAfter = failures[0]!.after;
    const all = await Effect.runPromise(store.readAll({ after: 0, maxCount: 100_000 }));
    const resentBatch = all.filter((e) => e.position > failedAfter).slice(0, batchSize).filter(isPublicMemoryEvent);
    expect(resentBatch.length).toBeGreaterThan(0);

    const messages = await consumeAll(topic);
    const timesSeen = new Map<string, number>();
    for (const m of messages) timesSeen.set(m.event.eventId, (timesSeen.get(m.event.eventId) ?? 0) + 1);
    expect([...timesSeen.keys()].sort()).toEqual((await memoryEventsInLog(store)).map((e) => e.eventId).sort());
    const seenTwice = [...timesSeen].filter(([, count]) => count > 1).map(([eventId]) => eventId);
    expect(seenTwice.sort()).toEqual(resentBatch.map((e) => e.eventId).sort());
  });
});

function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) strings[name] = value.toString();
  }
  return strings;
}

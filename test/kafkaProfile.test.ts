import { Kafka, logLevel } from "kafkajs";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PublicMemoryEvent } from "../src/feed/publicMemoryEvent.js";
import { startKafkaBroker, type KafkaTestBroker } from "./support/kafkaBroker.js";
import { ingestJobKind } from "../src/ingestion/ingestionService.js";
import { tempLedger } from "./support/tempLedger.js";

/**
 * The distributed profile by configuration only: jobs on Kafka and every memory
 * event relayed to a Kafka topic, against a real broker.
 */
let broker: KafkaTestBroker;
beforeAll(async () => {
  broker = await startKafkaBroker();
}, 180_000);
afterAll(async () => {
  await broker?.stop();
});

it("with jobBus and eventRelay set to Kafka, an async add is activated by a Kafka job and every event of it reaches the topic", async () => {
  const topic = `profile.events.${randomUUID().slice(0, 8)}`;
  const { ledger, dispose } = await tempLedger({
    defaultContext: { tenantId: "acme", actor: "user:alice" },
    jobBus: { kind: "kafka", brokers: broker.brokers, topicPrefix: `profile.jobs.${randomUUID().slice(0, 8)}` },
    eventRelay: { kind: "kafka", brokers: broker.brokers, topic },
  });
  try {
    await ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "alice" } });
    const added = await ledger.memories.add("c", { mode: "async", memories: [{ text: "Alice sails" }, { text: "Alice speaks Basque" }] });
    if (added.mode !== "async") throw new Error("expected async");
    const waited = await ledger.jobs.wait(added.job.jobId, 60_000);
    expect(waited.job).toMatchObject({ status: "done", attempts: 1 });
    for (const id of added.memoryIds) expect((await ledger.memories.get(id)).status).toBe("activated");
    // One ingestion job for the add (the merge-decision job it enqueues after activation is another kind).
    expect((await ledger.jobs.list({ cubeId: "c", kind: ingestJobKind })).map((j) => j.jobId)).toEqual([added.job.jobId]);

    const kafka = new Kafka({ clientId: "profile-test", brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `profile-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: PublicMemoryEvent[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(JSON.parse(String(message.value))) });
    const deadline = Date.now() + 30_000;
    while (seen.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await consumer.disconnect();
    for (const id of added.memoryIds) {
      expect(seen.filter((e) => e.memoryId === id).map((e) => e.type)).toEqual(["MemoryCreated", "MemoryActivated"]);
    }
    expect(seen.every((e) => !("content" in e.data))).toBe(true);
    expect(seen.find((e) => e.type === "MemoryActivated")).toMatchObject({ actor: "system:ingestion", causationId: added.job.jobId });
  } finally {
    await dispose();
  }
}, 150_000);

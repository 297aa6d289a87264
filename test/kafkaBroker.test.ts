import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKafkaBroker, type KafkaTestBroker } from "./support/kafkaBroker.js";

describe("the Kafka test broker (a real KRaft broker, Kafka 3.9.1 from Maven jars)", () => {
  let broker: KafkaTestBroker;

  // Generous: the first run fetches the jars with Maven.
  beforeAll(async () => {
    broker = await startKafkaBroker();
  }, 180_000);
  afterAll(() => broker?.stop());

  it("accepts a produced message and hands it to a consumer group", async () => {
    const kafka = new Kafka({ clientId: "broker-test", brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const topic = "broker-test.hello";
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: "k1", value: "hello" }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: "broker-test-group" });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string | undefined; value: string | undefined }>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve({ key: message.key?.toString(), value: message.value?.toString() }) });
    });
    await consumer.disconnect();
    expect(received).toEqual({ key: "k1", value: "hello" });
  });
});

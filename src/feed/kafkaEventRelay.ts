import { Effect } from "effect";
import { Kafka, logLevel as kafkaLogLevel, Partitioners, type Message, type Producer } from "kafkajs";
import type { CheckpointStore } from "../checkpoints/checkpointStore.js";
import type { EventStorePort, RecordedEvent } from "../eventStore/eventStorePort.js";
import { backoffMs, latch, sleepUnless, waitForNewEvents } from "../eventStore/logFollowing.js";
import { isPublicMemoryEvent, publicEventWithoutContent, type PublicMemoryEvent } from "./publicMemoryEvent.js";
import { logger } from "../logging/logger.js";

/**
 * Publishes memory events from the log to a Kafka topic, at least once.
 *
 * The checkpoint moves only after the broker acknowledged a batch (acks=all), so a
 * crash between send and save resends at most that one batch; consumers dedupe
 * by `eventId` (also in the `event-id` header). Messages are keyed by memory id,
 * so one unit's events stay in one partition, in log order.
 */
export interface KafkaEventRelayOptions {
  readonly eventStore: EventStorePort;
  readonly checkpoints: CheckpointStore;
  readonly brokers: readonly string[];
  /** Defaults to "memledger.memory-events". */
  readonly topic?: string;
  /** Name of the checkpoint; defaults to "kafka-relay:" + topic. */
  readonly consumerName?: string;
  /** Log events read per batch (memory events and skipped ones together); defaults to 200. */
  readonly batchSize?: number;
  readonly clientId?: string;
  /** Partitions of the topic when the relay creates it; defaults to 4. */
  readonly partitions?: number;
  /** The message body; defaults to the content-free public event. */
  readonly toMessage?: (event: RecordedEvent) => PublicMemoryEvent;
  /** Told about every failed batch before it is retried; defaults to the shared logger (src/logging/logger.ts). */
  readonly onRetry?: (failure: RelayFailure) => void;
  /** kafkajs's own logging; defaults to ERROR, because the relay reports its failures through onRetry. */
  readonly kafkaLogLevel?: kafkaLogLevel;
}

export interface RelayFailure {
  /** The batch that failed starts after this position; the checkpoint stays here. */
  readonly after: number;
  /** 1 for the first failure of this batch. */
  readonly attempt: number;
  readonly retryInMs: number;
  readonly error: unknown;
}

export interface KafkaEventRelayStats {
  /** Memory events acknowledged by the broker and checkpointed since this relay started. */
  readonly published: number;
  /** The saved checkpoint: every event up to here was published or skipped. */
  readonly position: number;
}

export interface KafkaEventRelay {
  readonly topic: string;
  /** Finishes the batch in flight, saves its checkpoint and disconnects; idempotent. */
  stop(): Promise<void>;
  stats(): KafkaEventRelayStats;
}

export const defaultMemoryEventsTopic = "memledger.memory-events";

/** Connects, creates the topic if missing, and starts relaying after the saved checkpoint (0 when none). */
export async function startKafkaEventRelay(options: KafkaEventRelayOptions): Promise<KafkaEventRelay> {
  const topic = options.topic ?? defaultMemoryEventsTopic;
  const consumerName = options.consumerName ?? `kafka-relay:${topic}`;
  const batchSize = options.batchSize ?? 200;
  const toMessage = options.toMessage ?? publicEventWithoutContent;
  const onRetry = options.onRetry ?? warnOfRetry(topic);
  const kafka = new Kafka({
    clientId: options.clientId ?? "memledger-kafka-relay",
    brokers: [...options.brokers],
    logLevel: options.kafkaLogLevel ?? kafkaLogLevel.ERROR,
  });

  await ensureTopic(kafka, topic, options.partitions ?? 4);
  const producer = kafka.producer({
    idempotent: true,
    // One request in flight keeps a unit's events in order even when a send is retried.
    maxInFlightRequests: 1,
    // Bounded, so a broker outage surfaces as a failed batch that the relay retries and stop() can interrupt.
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();

  let position: number;
  try {
    position = (await options.checkpoints.load(consumerName)) ?? 0;
  } catch (error) {
    await producer.disconnect();
    throw error;
  }
  let published = 0;
  const stopRequest = latch();

  const publish = async (batch: readonly RecordedEvent[]): Promise<number> => {
    const messages = batch.filter(isPublicMemoryEvent).map((event) => kafkaMessage(event, toMessage(event)));
    if (messages.length > 0) await producer.send({ topic, acks: -1, messages });
    return messages.length;
  };

  const relayLoop = async () => {
    let attempt = 0;
    while (!stopRequest.isSet()) {
      try {
        const batch = await Effect.runPromise(options.eventStore.readAll({ after: position, maxCount: batchSize }));
        const last = batch.at(-1);
        if (last === undefined) {
          await waitForNewEvents(options.eventStore, position, stopRequest);
          continue;
        }
        const sent = await publish(batch);
        // Skipped non-memory events count too, so a restart does not read them again.
        await options.checkpoints.save(consumerName, last.position);
        position = last.position;
        published += sent;
        attempt = 0;
      } catch (error) {
        attempt += 1;
        const retryInMs = backoffMs(attempt);
        try {
          onRetry({ after: position, attempt, retryInMs, error });
        } catch {
          // A faulty listener must not end the relay.
        }
        await sleepUnless(stopRequest, retryInMs);
      }
    }
  };
  const running = relayLoop();

  let stopped: Promise<void> | undefined;
  return {
    topic,
    stats: () => ({ published, position }),
    stop: () =>
      (stopped ??= (async () => {
        stopRequest.set();
        await running;
        await producer.disconnect();
      })()),
  };
}

async function ensureTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

function kafkaMessage(recorded: RecordedEvent, event: PublicMemoryEvent): Message {
  return {
    key: event.memoryId,
    value: JSON.stringify(event),
    headers: {
      "event-id": recorded.eventId,
      "event-type": recorded.type,
      "schema-version": String(recorded.schemaVersion),
      position: String(recorded.position),
      "content-type": "application/json",
    },
  };
}

function warnOfRetry(topic: string): (failure: RelayFailure) => void {
  return ({ after, attempt, retryInMs, error }) =>
    logger("eventRelay").warn(`memledger kafka relay: publishing to ${topic} after position ${after} failed (attempt ${attempt}); retrying in ${retryInMs} ms: ${String(error)}`);
}

import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer, TopicMessages } from "kafkajs";
import { groupConsumer, runUntilJoined, type ConsumerTiming } from "./kafkaConsumers.js";
import { headerNames, headerValue } from "./kafkaJobMessages.js";
import type { KafkaJobTopicNames, KafkaTopicCreator } from "./kafkaJobTopics.js";

export interface DelayForwarderOptions {
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly names: KafkaJobTopicNames;
  readonly topics: KafkaTopicCreator;
  readonly groupId: string;
  readonly timing: ConsumerTiming;
  readonly joinTimeoutMs: number;
  warn(message: string, cause?: unknown): void;
}

// A message due this soon waits at the head of its partition; one due later goes to the tail so it blocks nothing.
const waitInPlaceMs = 1_000;
// A partition whose head was moved to the tail this recently has been gone through once: rest before the next pass.
const passIntervalMs = 1_000;
const retryAfterFailureMs = 1_000;

/**
 * Moves delayed jobs to their kind's topic when they fall due. The delayed topic is
 * the only record of them (nothing in memory is), and a message is committed only
 * after it was forwarded or re-published, so a crash at any point forwards a job at
 * least once; workers skip the duplicate as done. A forwarded job goes to the tail of
 * its key's partition: it joins its key's order when it becomes due, like the embedded bus.
 */
export class KafkaDelayForwarder {
  private readonly consumer: Consumer;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: DelayForwarderOptions) {
    this.consumer = groupConsumer(options.kafka, options.groupId, options.timing);
  }

  async start(): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.options.names.delayed, fromBeginning: true });
      await runUntilJoined(
        this.consumer,
        { autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.forward(payload) },
        this.options.joinTimeoutMs,
        `the delay forwarder for ${this.options.names.delayed}`,
      );
    } catch (error) {
      await this.consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
    await this.consumer.disconnect().catch((error: unknown) => this.options.warn(`could not leave the consumer group ${this.options.groupId} cleanly`, error));
  }

  private async forward({ batch, resolveOffset, pause, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { names } = this.options;
    const now = Date.now();
    const due = new Map<string, Message[]>();
    const cycled: Message[] = [];
    let handled: KafkaMessage | undefined;
    let pauseUntil: number | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const notBefore = Number(headerValue(message.headers, headerNames.notBefore));
      const kind = headerValue(message.headers, headerNames.kind);
      if (kind !== undefined && Number.isFinite(notBefore)) {
        if (notBefore <= now) {
          const topic = names.kind(kind);
          const headers = { ...message.headers };
          delete headers[headerNames.cycledAt];
          const forTopic = due.get(topic) ?? [];
          forTopic.push({ key: message.key, value: message.value, headers });
          due.set(topic, forTopic);
        } else {
          const cycledAt = Number(headerValue(message.headers, headerNames.cycledAt));
          if (notBefore - now <= waitInPlaceMs) {
            pauseUntil = notBefore;
            break;
          }
          if (Number.isFinite(cycledAt) && now - cycledAt < passIntervalMs) {
            pauseUntil = cycledAt + passIntervalMs;
            break;
          }
          // Same partition, so the partition's messages keep cycling in the order they came in.
          cycled.push({ key: message.key, value: message.value, partition: batch.partition, headers: { ...message.headers, [headerNames.cycledAt]: String(now) } });
        }
      }
      handled = message;
    }

    try {
      if (handled) {
        await Promise.all([...due.keys()].map((topic) => this.options.topics.ensure(topic)));
        const topicMessages: TopicMessages[] = [...due].map(([topic, messages]) => ({ topic, messages }));
        if (cycled.length > 0) topicMessages.push({ topic: names.delayed, messages: cycled });
        if (topicMessages.length > 0) await this.options.producer.sendBatch({ acks: -1, topicMessages });
        const next = (BigInt(handled.offset) + 1n).toString();
        await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
        resolveOffset(handled.offset);
      }
    } catch (error) {
      // Nothing was resolved, so the same messages come back after the pause; forwarding twice is harmless.
      this.options.warn(`could not forward delayed jobs from ${batch.topic} partition ${batch.partition}; trying again in ${retryAfterFailureMs} ms`, error);
      pauseUntil = Date.now() + retryAfterFailureMs;
    }

    if (pauseUntil !== undefined) {
      // Unresolved messages are fetched again from the first one once the partition resumes.
      const resume = pause();
      const timer = setTimeout(() => {
        this.resumeTimers.delete(timer);
        resume();
      }, Math.max(0, pauseUntil - Date.now()));
      this.resumeTimers.add(timer);
    }
  }
}

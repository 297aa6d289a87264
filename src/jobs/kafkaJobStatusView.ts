import type { Consumer, Kafka } from "kafkajs";
import { waitForSignal, Signal } from "../eventStore/signal.js";
import { uuidv7 } from "../ids/idGenerator.js";
import type { JobRecord, ListJobsOptions } from "./jobBusPort.js";
import { groupConsumer, runUntilJoined, type ConsumerTiming } from "./kafkaConsumers.js";
import { readStatusEntry, type StatusEntry } from "./kafkaJobMessages.js";

interface ViewEntry {
  readonly entry: StatusEntry;
  readonly partition: number;
  readonly offset: bigint;
}

/**
 * The status topic folded into memory: the newest record per job id, indexed by cube.
 * Records arrive twice from this process (applied when the broker acknowledges the
 * write, then again when the consumer reads them), so a record only replaces an older offset.
 */
export class KafkaJobStatusView {
  private readonly entries = new Map<string, ViewEntry>();
  private readonly idsByCube = new Map<string, Set<string>>();
  /** Next offset to read, per status partition. */
  private readonly consumed = new Map<number, bigint>();
  private readonly progressed = new Signal();

  get(jobId: string): StatusEntry | undefined {
    return this.entries.get(jobId)?.entry;
  }

  apply(jobId: string, entry: StatusEntry | null, partition: number, offset: bigint): void {
    const current = this.entries.get(jobId);
    if (current && current.partition === partition && current.offset >= offset) return;
    const oldCube = current?.entry.job.cubeId;
    if (oldCube !== undefined) this.idsByCube.get(oldCube)?.delete(jobId);
    if (entry === null) {
      this.entries.delete(jobId);
      return;
    }
    this.entries.set(jobId, { entry, partition, offset });
    const cubeId = entry.job.cubeId;
    if (cubeId !== undefined) {
      let ids = this.idsByCube.get(cubeId);
      if (!ids) this.idsByCube.set(cubeId, (ids = new Set()));
      ids.add(jobId);
    }
  }

  markConsumed(partition: number, nextOffset: bigint): void {
    if (nextOffset > (this.consumed.get(partition) ?? 0n)) this.consumed.set(partition, nextOffset);
    this.progressed.notify();
  }

  /** True once the consumer has read every partition up to `targets` (the topic's end offsets when asked). */
  async waitUntilConsumed(targets: ReadonlyMap<number, bigint>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ([...targets].every(([partition, end]) => (this.consumed.get(partition) ?? 0n) >= end)) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await waitForSignal([this.progressed], left);
    }
  }

  list(options: ListJobsOptions): JobRecord[] {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1_000);
    const ids = options.cubeId !== undefined ? [...(this.idsByCube.get(options.cubeId) ?? [])] : [...this.entries.keys()];
    return ids
      .map((id) => this.entries.get(id)!.entry)
      .filter(({ job }) => (options.status === undefined || job.status === options.status) && (options.kind === undefined || job.kind === options.kind))
      .sort((a, b) => b.enqueueOrder - a.enqueueOrder)
      .slice(0, limit)
      .map(({ job }) => job);
  }
}

/**
 * Reads the status topic from the beginning into `view`, for as long as the bus is open.
 * kafkajs has no manual partition assignment, so this is a consumer group of one
 * (a fresh group id per bus instance) that never commits.
 */
export async function followStatusTopic(kafka: Kafka, topic: string, view: KafkaJobStatusView, timing: ConsumerTiming, joinTimeoutMs: number): Promise<Consumer> {
  const consumer = groupConsumer(kafka, `${topic}.view-${uuidv7()}`, timing);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await runUntilJoined(
      consumer,
      {
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const jobId = message.key?.toString("utf8");
            const entry = readStatusEntry(message.value);
            if (jobId !== undefined && entry !== undefined) view.apply(jobId, entry, batch.partition, BigInt(message.offset));
          }
          view.markConsumed(batch.partition, BigInt(batch.lastOffset()) + 1n);
        },
      },
      joinTimeoutMs,
      `the job status view of ${topic}`,
    );
    return consumer;
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
}

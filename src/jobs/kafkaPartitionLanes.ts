import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { abortableSleep, groupConsumer, runUntilJoined, type ConsumerTiming } from "./kafkaConsumers.js";

/** One partition's serial line of work: its messages are processed one at a time, in offset order. */
export interface Lane {
  readonly topic: string;
  readonly partition: number;
  /** Aborted when the partition is given to another member or the consumer stops. */
  readonly signal: AbortSignal;
}

/** "commit": the message is finished, move past it. "leave": stop here uncommitted; whoever owns the partition next sees it again. */
export type LaneOutcome = "commit" | "leave";

export interface LaneConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly timing: ConsumerTiming;
  readonly joinTimeoutMs: number;
  /** Runs before a newly assigned partition's first message (the bus catches its status view up here). */
  beforeFirstMessage(lane: Lane): Promise<void>;
  /** Throwing means "could not tell": the same message is tried again after a pause. */
  process(message: KafkaMessage, lane: Lane): Promise<LaneOutcome>;
  warn(message: string, cause?: unknown): void;
}

// Past this many fetched-but-unprocessed messages a partition stops fetching until its lane catches up.
const pauseAboveQueued = 1_000;
const resumeBelowQueued = 100;

class LaneState implements Lane {
  readonly queue: KafkaMessage[] = [];
  lastQueued = -1n;
  prepared = false;
  draining: Promise<void> | undefined;
  resumeFetching: (() => void) | undefined;
  private readonly closer = new AbortController();
  readonly signal = this.closer.signal;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  close(reason: string): void {
    this.closer.abort(new Error(reason));
    this.resumeFetching?.();
    this.resumeFetching = undefined;
  }
}

/**
 * A consumer-group member whose handlers run outside kafkajs's fetch loop.
 *
 * kafkajs fetches again only after every batch of the previous fetch was handled,
 * so one long job inside `eachBatch` would hold back every other partition. Here
 * `eachBatch` only queues messages on their partition's lane and returns; each lane
 * works through its queue on its own and commits each message as it finishes
 * (autoCommit off). Fetch positions move on in memory only, so anything not yet
 * committed is fetched again by whoever owns the partition next.
 *
 * kafkajs cannot delay a rebalance until lanes are done, so a lane whose partition
 * went to another member is aborted (`Lane.signal`) when the new assignment arrives:
 * the same "lost the lease" case the port describes.
 */
export class KafkaLaneConsumer {
  private readonly consumer: Consumer;
  private readonly lanes = new Map<number, LaneState>();
  private assigned = new Set<number>();
  private taking = true;

  constructor(private readonly options: LaneConsumerOptions) {
    this.consumer = groupConsumer(options.kafka, options.groupId, options.timing);
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => this.reassigned(payload.memberAssignment[options.topic] ?? []));
    // After a crash kafkajs may rejoin; until then nothing here owns a partition.
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.reassigned([]);
      options.warn(`the worker for ${options.topic} stopped consuming${payload.restart ? "; kafkajs restarts it" : " and kafkajs gave up: restart the worker"}`, payload.error);
    });
  }

  async start(): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
      await runUntilJoined(this.consumer, { autoCommit: false, eachBatch: async (payload) => this.accept(payload) }, this.options.joinTimeoutMs, `the worker for ${this.options.topic}`);
    } catch (error) {
      await this.consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  /** Lanes start no further messages; the ones in hand carry on. */
  stopTaking(): void {
    this.taking = false;
  }

  /** Aborts the lanes, waits for them to put their message down, and leaves the group. */
  async stop(): Promise<void> {
    this.taking = false;
    const draining = [...this.lanes.values()].map((lane) => lane.draining);
    for (const lane of this.lanes.values()) lane.close("the worker is stopping");
    this.lanes.clear();
    await Promise.all(draining);
    await this.consumer.disconnect().catch((error: unknown) => this.options.warn(`could not leave the consumer group ${this.options.groupId} cleanly`, error));
  }

  private reassigned(partitions: readonly number[]): void {
    this.assigned = new Set(partitions);
    for (const [partition, lane] of this.lanes) {
      if (this.assigned.has(partition)) continue;
      lane.close(`partition ${partition} of ${this.options.topic} was assigned to another worker`);
      this.lanes.delete(partition);
    }
  }

  private async accept({ batch, pause }: EachBatchPayload): Promise<void> {
    // A batch of a partition that was just taken away may still be in flight: its new owner handles it.
    if (!this.taking || !this.assigned.has(batch.partition)) return;
    let lane = this.lanes.get(batch.partition);
    if (!lane) this.lanes.set(batch.partition, (lane = new LaneState(batch.topic, batch.partition)));
    // After a rebalance kafkajs fetches again from the committed offset: skip what the lane already holds.
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset <= lane.lastQueued) continue;
      lane.queue.push(message);
      lane.lastQueued = offset;
    }
    if (lane.queue.length >= pauseAboveQueued && !lane.resumeFetching) lane.resumeFetching = pause();
    this.startDraining(lane);
  }

  private startDraining(lane: LaneState): void {
    if (lane.draining) return;
    lane.draining = this.drain(lane).finally(() => {
      lane.draining = undefined;
      // Messages queued while the drain was returning would otherwise wait for the partition's next batch.
      if (lane.queue.length > 0 && this.taking && !lane.signal.aborted) this.startDraining(lane);
    });
  }

  private async drain(lane: LaneState): Promise<void> {
    if (!lane.prepared) {
      lane.prepared = true;
      await this.options.beforeFirstMessage(lane).catch((error: unknown) => this.options.warn(`could not prepare ${lane.topic} partition ${lane.partition}; going on`, error));
    }
    while (this.taking && !lane.signal.aborted) {
      const message = lane.queue[0];
      if (!message) return;
      let outcome: LaneOutcome;
      try {
        outcome = await this.options.process(message, lane);
      } catch (error) {
        this.options.warn(`job message at ${lane.topic} partition ${lane.partition} offset ${message.offset} could not be handled; trying again in 1 s`, error);
        if (!(await abortableSleep(1_000, lane.signal))) return;
        continue;
      }
      if (outcome === "leave") return;
      await this.commit(lane, message.offset);
      lane.queue.shift();
      if (lane.resumeFetching && lane.queue.length <= resumeBelowQueued) {
        lane.resumeFetching();
        lane.resumeFetching = undefined;
      }
    }
  }

  private async commit(lane: LaneState, offset: string): Promise<void> {
    const next = (BigInt(offset) + 1n).toString();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.consumer.commitOffsets([{ topic: lane.topic, partition: lane.partition, offset: next }]);
        return;
      } catch (error) {
        // The job is finished either way: a lost commit only means the next owner sees the message again and skips it as done.
        if (attempt >= 5 || lane.signal.aborted) {
          this.options.warn(`could not commit ${lane.topic} partition ${lane.partition} offset ${next}`, error);
          return;
        }
        await abortableSleep(200 * attempt, lane.signal);
      }
    }
  }
}

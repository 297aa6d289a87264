import type { Admin, ITopicConfig } from "kafkajs";

/**
 * The topics of one Kafka job bus. Internal topics put "_" after the prefix:
 * a job kind starts with a letter, so no kind can name one of them.
 */
export interface KafkaJobTopicNames {
  readonly prefix: string;
  /** Compacted, keyed by job id: the latest record of every job. */
  readonly status: string;
  /** Jobs whose notBefore is still ahead; delay forwarders move them to their kind's topic when due. */
  readonly delayed: string;
  /** A copy of every job that went dead, with its last error, for whoever watches failures. */
  readonly dead: string;
  /** Due jobs of one kind, keyed by ordering key. */
  kind(kind: string): string;
}

export function kafkaJobTopicNames(prefix: string): KafkaJobTopicNames {
  return {
    prefix,
    status: `${prefix}._status`,
    delayed: `${prefix}._delayed`,
    dead: `${prefix}._dead`,
    kind: (kind) => `${prefix}.${kind}`,
  };
}

/** The status topic keeps the newest record per job id forever; the other topics keep the broker's retention. */
export const statusTopicConfig: ITopicConfig["configEntries"] = [{ name: "cleanup.policy", value: "compact" }];

/** Creates topics on first use and remembers which exist, so steady-state sends cost no admin round trip. */
export class KafkaTopicCreator {
  private readonly known = new Map<string, Promise<void>>();

  constructor(
    private readonly admin: Admin,
    private readonly numPartitions: number,
  ) {}

  ensure(topic: string, configEntries: ITopicConfig["configEntries"] = []): Promise<void> {
    const known = this.known.get(topic);
    if (known) return known;
    const creating = (async () => {
      // Looked up first: creating an existing topic works (kafkajs answers false) but logs a broker error.
      if (!(await this.admin.listTopics()).includes(topic)) {
        await this.admin.createTopics({ topics: [{ topic, numPartitions: this.numPartitions, configEntries }], waitForLeaders: true });
      }
      // A topic another bus created a moment ago may not have its leaders yet; sends and offset reads would fail until it has.
      await this.leadersElected(topic);
    })();
    this.known.set(topic, creating);
    // A failed creation is forgotten, so the next call tries again.
    creating.catch(() => this.known.delete(topic));
    return creating;
  }

  private async leadersElected(topic: string): Promise<void> {
    const deadline = Date.now() + leaderWaitMs;
    let lastError: unknown;
    for (;;) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
        const partitions = topics.find((t) => t.name === topic)?.partitions ?? [];
        if (partitions.length > 0 && partitions.every((p) => p.partitionErrorCode === 0 && p.leader >= 0)) {
          // A leader in the metadata can still answer "does not host this topic-partition" until its log exists; reading the offsets proves it does.
          await this.admin.fetchTopicOffsets(topic);
          return;
        }
        lastError = new Error("some partitions have no leader yet");
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic} is not ready after ${leaderWaitMs / 1_000} s: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const leaderWaitMs = 15_000;

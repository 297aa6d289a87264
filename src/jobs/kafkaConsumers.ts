import type { Consumer, ConsumerRunConfig, Kafka } from "kafkajs";

export interface ConsumerTiming {
  readonly sessionTimeoutMs: number;
  /** How long a fetch waits for new messages; also bounds how long a disconnect waits for the fetch in flight. */
  readonly maxWaitTimeInMs: number;
}

export function groupConsumer(kafka: Kafka, groupId: string, timing: ConsumerTiming): Consumer {
  return kafka.consumer({
    groupId,
    sessionTimeout: timing.sessionTimeoutMs,
    // A fifth of the session: a member survives a few lost heartbeats, and rebalances are noticed quickly.
    heartbeatInterval: Math.max(200, Math.min(3_000, Math.floor(timing.sessionTimeoutMs / 5))),
    maxWaitTimeInMs: timing.maxWaitTimeInMs,
    allowAutoTopicCreation: false,
  });
}

/**
 * kafkajs's `run()` resolves even when the group join failed (it reports a crash
 * instead), so wait for the join itself: a started consumer then owns its partitions.
 */
export async function runUntilJoined(consumer: Consumer, config: ConsumerRunConfig, timeoutMs: number, what: string): Promise<void> {
  const removers: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const joined = new Promise<void>((resolve, reject) => {
    removers.push(consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    removers.push(
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      }),
    );
    timer = setTimeout(() => reject(new Error(`${what} did not join its consumer group within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await consumer.run(config);
    await joined;
  } finally {
    clearTimeout(timer);
    for (const remove of removers) remove();
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.max(0, ms));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

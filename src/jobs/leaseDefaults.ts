/** Short, because a heartbeat renews it: a hung process's jobs move on within seconds, a crashed one's at once on restart. */
export const defaultJobLeaseMs = 5_000;
/** Heartbeat = lease / 5: a worker may miss a few heartbeats (a busy event loop) before its jobs are given away. */
export const heartbeatFraction = 5;
export const defaultWorkerName = "worker";
/**
 * A Kafka worker that sends no heartbeat for this long loses its partitions; a
 * restarted one gets them back only then (kafkajs has no static membership).
 * 10 s: above the broker's 6 s minimum and a stalled event loop's few seconds.
 */
export const defaultKafkaSessionTimeoutMs = 10_000;

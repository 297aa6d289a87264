/**
 * Where a log consumer (the Kafka relay, a projection) remembers the last global
 * position it has fully handled, so a restart resumes after it: no skipped
 * events, and at most one batch handled twice.
 */
export interface CheckpointStore {
  /** The saved position, or undefined when the consumer never ran. */
  load(consumer: string): Promise<number | undefined>;
  save(consumer: string, position: number): Promise<void>;
  close(): Promise<void>;
}

import type { Envelope } from "./envelope.js";

/** A past moment to read at: a stream revision, a recorded time, or a global log position. */
export type AsOf =
  | { readonly revision: number }
  | { readonly time: string }
  | { readonly position: number };

/** Whether an event had happened at the given moment (all bounds inclusive). */
export function happenedBy(envelope: Envelope, asOf: AsOf | undefined): boolean {
  if (asOf === undefined) return true;
  if ("revision" in asOf) return envelope.revision <= asOf.revision;
  if ("position" in asOf) return envelope.position <= asOf.position;
  return Date.parse(envelope.metadata.recordedAt) <= Date.parse(asOf.time);
}

/** The events of one stream as they stood at `asOf` (events are in revision order). */
export function prefixAsOf<T extends { readonly envelope: Envelope }>(events: readonly T[], asOf: AsOf | undefined): readonly T[] {
  if (asOf === undefined) return events;
  let end = 0;
  while (end < events.length && happenedBy(events[end]!.envelope, asOf)) end += 1;
  return events.slice(0, end);
}

export function describeAsOf(asOf: AsOf): string {
  if ("revision" in asOf) return `revision ${asOf.revision}`;
  if ("position" in asOf) return `position ${asOf.position}`;
  return `time ${asOf.time}`;
}

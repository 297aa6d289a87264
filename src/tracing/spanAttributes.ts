/** Span attribute names memledger sets (its own namespace beside the OpenTelemetry HTTP ones). */
export const spanAttributes = {
  requestId: "memledger.request_id",
  cubeId: "memledger.cube_id",
  command: "memledger.command",
  streamId: "memledger.stream_id",
  eventCount: "memledger.event_count",
  eventTypes: "memledger.event_types",
  jobId: "memledger.job_id",
  jobKind: "memledger.job_kind",
} as const;

/** A cube id named by a call's arguments (`{ cubeId }`, `{ cubeIds: [one] }` or a first string argument in cube calls), if any. */
export function cubeIdIn(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.cubeId === "string") return record.cubeId;
  if (Array.isArray(record.cubeIds) && record.cubeIds.length === 1 && typeof record.cubeIds[0] === "string") return record.cubeIds[0];
  return undefined;
}

/**
 * A fact whose validity a later fact closed ("lives in Paris" once "lives in
 * Lyon" arrived) keeps its text and stays active: it was true until then, and
 * questions about the past need it. Its `metadata.validUntil` says until when;
 * search ranks such facts after the ones still valid (docs/decisions.md).
 */
export const validUntilField = "validUntil";

export function validUntilOf(metadata: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = metadata?.[validUntilField];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** True when the fact's validity ended at or before `at` (ISO-8601). */
export function noLongerValid(metadata: Readonly<Record<string, unknown>> | undefined, at: string): boolean {
  const until = validUntilOf(metadata);
  return until !== undefined && Date.parse(until) <= Date.parse(at);
}

/** Stable: still-valid items first in their order, then the expired ones in theirs. */
export function rankStillValidFirst<T>(items: readonly T[], metadataOf: (item: T) => Readonly<Record<string, unknown>> | undefined, at: string): T[] {
  const valid: T[] = [];
  const expired: T[] = [];
  for (const item of items) (noLongerValid(metadataOf(item), at) ? expired : valid).push(item);
  return [...valid, ...expired];
}

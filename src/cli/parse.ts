import { InvalidArgumentError } from "commander";
import type { MemorySource, MetadataValue } from "../../domain/memory/memoryContent.js";

/** Parsers for CLI argument values; each throws InvalidArgumentError, which commander reports as a usage error. */

export function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("must be a whole number (0, 1, 2, ...)");
  return Number(value.trim());
}

export function confidence(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError("must be a number between 0 and 1");
  return n;
}

/** Any time `Date` understands, normalised to ISO-8601 UTC. */
export function isoTime(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError("must be an ISO-8601 time such as 2026-03-03T12:00:00Z");
  return new Date(ms).toISOString();
}

const sourceKinds: readonly MemorySource["kind"][] = ["message", "document", "url", "tool", "other"];

/** `kind:ref`, e.g. `message:msg-1` or `url:https://example.com` (only the first colon splits). */
export function source(value: string, previous: readonly MemorySource[] = []): MemorySource[] {
  const at = value.indexOf(":");
  const kind = value.slice(0, at) as MemorySource["kind"];
  const ref = value.slice(at + 1);
  if (at <= 0 || ref === "" || !sourceKinds.includes(kind)) {
    throw new InvalidArgumentError(`must be <kind>:<ref> with kind one of ${sourceKinds.join(", ")} (e.g. message:msg-1)`);
  }
  return [...previous, { kind, ref }];
}

/** `key=value`; the value is a number, true, false or null when it reads as one in JSON, else a string. */
export function metadataEntry(value: string, previous: Readonly<Record<string, MetadataValue>> = {}): Record<string, MetadataValue> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError("must be key=value (e.g. priority=2 or lang=en)");
  const key = value.slice(0, at);
  const raw = value.slice(at + 1);
  return { ...previous, [key]: scalar(raw) };
}

export function repeatable(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** `a,b` → ["a", "b"]; repeated flags add up. */
export function commaList(value: string, previous: readonly string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  ];
}

function scalar(raw: string): MetadataValue {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null || typeof parsed === "number" || typeof parsed === "boolean") return parsed;
  } catch {
    // not JSON: a plain string
  }
  return raw;
}

/** Seconds from now, up to a century: past that the due time is no longer a date JavaScript can hold. */
export function delaySeconds(value: string): number {
  const n = nonNegativeInteger(value);
  if (n > 100 * 365 * 24 * 3600) throw new InvalidArgumentError("must be at most 3153600000 (a hundred years); for a fixed moment use --at");
  return n;
}

/** A parser for counts and limits: 1 up to `max`. */
export function positiveIntegerUpTo(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (!/^\d+$/.test(value.trim()) || n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return n;
  };
}

/** A parser that accepts one of `values`; repeated flags add up when `previous` is a list. */
export function oneOf<T extends string>(values: readonly T[]): (value: string, previous?: readonly T[]) => T[] {
  return (value, previous = []) => {
    if (!(values as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${values.join(", ")}`);
    return [...previous, value as T];
  };
}

/** `principal:<id>` or `group:<name>`: who a cube grant is for. */
export function grantee(value: string): { kind: "principal" | "group"; id: string } {
  const at = value.indexOf(":");
  const kind = value.slice(0, at);
  const id = value.slice(at + 1);
  if (at <= 0 || id === "" || (kind !== "principal" && kind !== "group")) throw new InvalidArgumentError("must be principal:<id> or group:<name> (e.g. principal:bob or group:support)");
  return { kind, id };
}

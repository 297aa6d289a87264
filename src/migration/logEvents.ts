import { Cause, Data, Effect, Exit, Option } from "effect";
import { createHash } from "node:crypto";
import type { EventStorePort, RecordedEvent } from "../eventStore/eventStorePort.js";

/**
 * Helpers shared by the log copy and its verification: running port effects as
 * promises, canonical JSON, and the comparison of one stored event with its copy.
 */

/** The copy (or its check) cannot go on: the target is not a copy in progress of the source, or the copy was interrupted. */
export class LogCopyError extends Data.TaggedError("LogCopyError")<{
  readonly kind: "divergent" | "source" | "interrupted";
  readonly message: string;
  readonly streamId?: string;
}> {}

/** Runs a port effect and rethrows its typed failure as is (so callers and the CLI can switch on `_tag`). */
export async function runPort<A, E>(effect: Effect.Effect<A, E>): Promise<A> {
  const exit = await Effect.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) return exit.value;
  const failure = Cause.failureOption(exit.cause);
  if (Option.isSome(failure)) throw failure.value;
  throw Cause.squash(exit.cause);
}

/** JSON with object keys sorted, so two engines' copies of one value serialise alike; `undefined` members are left out as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? "null";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value === null || typeof value !== "object") return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return sortKeys((value as { toJSON: () => unknown }).toJSON());
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = sortKeys(member);
  }
  return out;
}

export function digestOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("base64url").slice(0, 24);
}

/** The fields of a stored event a copy must keep; `position` is the engine's own and is left out. */
export const copiedFields = ["streamId", "revision", "eventId", "type", "schemaVersion", "data", "metadata"] as const;
export type CopiedField = (typeof copiedFields)[number];

/** The copied fields in which two events differ (data and metadata compared as canonical JSON). */
export function differingFields(source: RecordedEvent, target: RecordedEvent): CopiedField[] {
  return copiedFields.filter((field) =>
    field === "data" || field === "metadata" ? canonicalJson(source[field]) !== canonicalJson(target[field]) : source[field] !== target[field],
  );
}

export function describeEvent(event: Pick<RecordedEvent, "streamId" | "revision" | "eventId" | "type">): string {
  return `${event.streamId}@${event.revision} (${event.type} ${event.eventId})`;
}

export function truncate(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Reads a log forward in global order, one page at a time, yielding the events one by one. */
export class LogCursor {
  private page: readonly RecordedEvent[] = [];
  private index = 0;
  private done = false;

  constructor(
    private readonly store: EventStorePort,
    private after: number,
    private readonly pageSize: number,
    /** Streams to read; the others are passed over. */
    private readonly selected: (streamId: string) => boolean = () => true,
  ) {}

  async next(): Promise<RecordedEvent | undefined> {
    for (;;) {
      while (this.index < this.page.length) {
        const event = this.page[this.index++]!;
        if (this.selected(event.streamId)) return event;
      }
      if (this.done) return undefined;
      this.page = await runPort(this.store.readAll({ after: this.after, maxCount: this.pageSize }));
      this.index = 0;
      if (this.page.length < this.pageSize) this.done = true;
      if (this.page.length > 0) this.after = this.page[this.page.length - 1]!.position;
    }
  }
}

/**
 * Whether the source holds a stream, remembered per stream: with `otherStreams: "ignore"`, target
 * streams the source does not have are left out of the comparison.
 */
export function sourceStreamLookup(source: EventStorePort): (streamId: string) => Promise<boolean> {
  const known = new Map<string, boolean>();
  return async (streamId) => {
    const cached = known.get(streamId);
    if (cached !== undefined) return cached;
    const has = (await runPort(source.streamRevision(streamId))) !== undefined;
    known.set(streamId, has);
    return has;
  };
}

import { ConcurrencyConflict, IdempotencyConflict } from "../eventStore/eventStoreErrors.js";
import type { EventStorePort, ExpectedRevision, NewEvent, RecordedEvent } from "../eventStore/eventStorePort.js";
import { describeEvent, differingFields, LogCopyError, LogCursor, runPort, sourceStreamLookup, truncate, canonicalJson } from "./logEvents.js";

/**
 * Copies an event log from one engine to another (embedded SQLite <->
 * EventStoreDB/KurrentDB, or SQLite -> SQLite), event by event in global order.
 *
 * Kept: every event's id, type, schema version, data, metadata, stream id and
 * revision. Not kept: global positions, which each engine assigns itself (SQLite
 * counts events, EventStoreDB counts bytes); the relative global order is kept.
 *
 * Each event is appended with the expectation that its stream stands at the
 * revision before it (`no_stream` for revision 0), so the target's revisions
 * are the source's and a target that changed under the copy fails loudly.
 * Consecutive events of one stream go in one append.
 *
 * Resumable: before writing, the target's log is compared in lockstep with the
 * start of the source's. A target that holds exactly the first K events of the
 * source (what an interrupted copy leaves) is resumed after event K; anything
 * else is refused, naming the first stream where they part. A second run on a
 * finished copy writes nothing; on a source that grew since, it copies the
 * rest, so a copy can be topped up before switching engines.
 *
 * Not safe: two copies into one target at once, or anyone else writing to the
 * target meanwhile (the expected revisions then fail the copy).
 */

export interface CopyProgress {
  readonly phase: "checking" | "copying" | "done";
  /** Source events handled so far: found already in the target, or copied. */
  readonly events: number;
  readonly copied: number;
  readonly skipped: number;
  readonly streams: number;
  /** Source position of the last event handled. */
  readonly position: number;
  /** The source's head when the copy started (its positions, not a count of events for EventStoreDB). */
  readonly sourceHead: number;
  readonly seconds: number;
}

export interface CopyEventLogOptions {
  readonly from: EventStorePort;
  readonly to: EventStorePort;
  /** Source events read per page (default 1,000); an append never spans two pages. */
  readonly batchSize?: number;
  /** Called after every page. */
  readonly onProgress?: (progress: CopyProgress) => void;
  /** Checked between pages: an aborted copy stops with LogCopyError (kind `interrupted`) and can be resumed. */
  readonly signal?: AbortSignal;
  /**
   * Target streams the source does not have: `refuse` (the default) treats
   * them as divergence; `ignore` leaves them alone (a shared EventStoreDB
   * holding other applications' streams). Streams the source has must match either way.
   */
  readonly otherStreams?: "refuse" | "ignore";
  /**
   * Copy only the streams this accepts (default: all). Streams it rejects are
   * left out on both sides, also from the check of the target: e.g. to take one
   * application's streams out of a shared EventStoreDB.
   */
  readonly streams?: (streamId: string) => boolean;
}

export interface CopyEventLogResult {
  /** Source events, all of which are now in the target. */
  readonly events: number;
  /** Appended by this run. */
  readonly copied: number;
  /** Found already in the target (an earlier, interrupted run). */
  readonly skipped: number;
  readonly streams: number;
  readonly appends: number;
  readonly seconds: number;
}

export const defaultCopyBatchSize = 1_000;

export async function copyEventLog(options: CopyEventLogOptions): Promise<CopyEventLogResult> {
  const { from, to } = options;
  const batchSize = options.batchSize ?? defaultCopyBatchSize;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a whole number of at least 1, not ${batchSize}`);
  const started = performance.now();
  /** Last revision seen of each source stream, to catch streams that do not start at 0 or skip revisions. */
  const streams = new Map<string, number>();
  let copied = 0;
  let skipped = 0;
  let appends = 0;
  let position = 0;
  const sourceHead = await runPort(from.headPosition());

  const seconds = () => (performance.now() - started) / 1000;
  const report = (phase: CopyProgress["phase"]) =>
    options.onProgress?.({ phase, events: copied + skipped, copied, skipped, streams: streams.size, position, sourceHead, seconds: seconds() });
  const checkAbort = () => {
    if (options.signal?.aborted) {
      throw new LogCopyError({
        kind: "interrupted",
        message: `copy interrupted after ${copied + skipped} events (${copied} copied by this run); run it again to resume`,
      });
    }
  };

  // 1. What the target already holds must be the start of the source, in the same order.
  const selected = options.streams ?? (() => true);
  const resume = await checkTargetIsPrefix(from, to, batchSize, options.otherStreams ?? "refuse", selected, (event) => {
    streams.set(event.streamId, event.revision);
    skipped += 1;
    position = event.position;
    if (skipped % batchSize === 0) {
      report("checking");
      checkAbort();
    }
  });

  // 2. The rest, page by page, one append per run of consecutive events of a stream.
  let after = resume;
  for (;;) {
    checkAbort();
    const page = await runPort(from.readAll({ after, maxCount: batchSize }));
    const events = options.streams ? page.filter((event) => selected(event.streamId)) : page;
    for (let start = 0; start < events.length; ) {
      let end = start + 1;
      while (end < events.length && events[end]!.streamId === events[start]!.streamId) end += 1;
      const run = events.slice(start, end);
      checkRevisions(run, streams.get(run[0]!.streamId));
      const result = await appendRun(to, run);
      if (result === "alreadyApplied") skipped += run.length;
      else copied += run.length;
      appends += 1;
      streams.set(run[0]!.streamId, run[run.length - 1]!.revision);
      start = end;
    }
    if (page.length > 0) {
      after = page[page.length - 1]!.position;
      position = after;
    }
    report(page.length < batchSize ? "done" : "copying");
    if (page.length < batchSize) break;
  }
  return { events: copied + skipped, copied, skipped, streams: streams.size, appends, seconds: seconds() };
}

/**
 * Reads the target's log and the start of the source's side by side; returns the source position the copy
 * resumes after (0 for an empty target), or fails naming where they part.
 */
async function checkTargetIsPrefix(
  from: EventStorePort,
  to: EventStorePort,
  pageSize: number,
  otherStreams: "refuse" | "ignore",
  selected: (streamId: string) => boolean,
  onMatched: (event: RecordedEvent) => void,
): Promise<number> {
  const target = new LogCursor(to, 0, pageSize, selected);
  const source = new LogCursor(from, 0, pageSize, selected);
  const sourceHas = sourceStreamLookup(from);
  let resumeAfter = 0;
  let index = 0;
  for (;;) {
    const copy = await target.next();
    if (!copy) return resumeAfter;
    if (otherStreams === "ignore" && !(await sourceHas(copy.streamId))) continue;
    const original = await source.next();
    index += 1;
    if (!original) {
      throw divergent(copy.streamId, `the target holds more events than the source: its event #${index}, ${describeEvent(copy)}, is not in the source. Copy into an empty target${otherStreams === "refuse" ? " (or, for a shared EventStoreDB, pass otherStreams: ignore / --allow-other-streams if that stream is not the source's)" : ""}`);
    }
    const fields = differingFields(original, copy);
    if (fields.length > 0) throw divergent(copy.streamId, describeDivergence(index, original, copy, fields, otherStreams));
    resumeAfter = original.position;
    onMatched(original);
  }
}

function describeDivergence(index: number, original: RecordedEvent, copy: RecordedEvent, fields: readonly string[], otherStreams: "refuse" | "ignore"): string {
  const head = `the target is not a copy in progress of the source: event #${index} of the logs differs`;
  if (original.streamId !== copy.streamId || original.revision !== copy.revision) {
    const sourceSide = `the source has ${describeEvent(original)}`;
    const hint = otherStreams === "refuse" ? "; use an empty target (or --allow-other-streams if the target's extra streams belong to another application)" : "; use an empty target";
    return `${head}: the target has ${describeEvent(copy)} where ${sourceSide}${hint}`;
  }
  const detail = fields
    .map((field) => {
      const a = field === "data" || field === "metadata" ? canonicalJson(original[field as "data"]) : String(original[field as "eventId"]);
      const b = field === "data" || field === "metadata" ? canonicalJson(copy[field as "data"]) : String(copy[field as "eventId"]);
      return `${field}: source ${truncate(a, 120)}, target ${truncate(b, 120)}`;
    })
    .join("; ");
  return `${head}: stream ${original.streamId} revision ${original.revision} is not the same event in both (${detail}); use an empty target`;
}

function divergent(streamId: string, message: string): LogCopyError {
  return new LogCopyError({ kind: "divergent", streamId, message });
}

/** The source stream's revisions must run 0, 1, 2, … for the target to get the same ones. */
function checkRevisions(run: readonly RecordedEvent[], previous: number | undefined): void {
  const streamId = run[0]!.streamId;
  let expected = (previous ?? -1) + 1;
  for (const event of run) {
    if (event.revision !== expected) {
      throw new LogCopyError({
        kind: "source",
        streamId,
        message:
          previous === undefined && expected === 0
            ? `stream ${streamId} starts at revision ${event.revision} in the source, not 0 (truncated or deleted events): its revisions cannot be reproduced in the target`
            : `stream ${streamId} jumps from revision ${expected - 1} to ${event.revision} in the source (truncated or deleted events): its revisions cannot be reproduced in the target`,
      });
    }
    expected += 1;
  }
}

/** Appends consecutive events of one stream with their source revisions. */
async function appendRun(to: EventStorePort, run: readonly RecordedEvent[]): Promise<"written" | "alreadyApplied"> {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const streamId = first.streamId;
  const expected: ExpectedRevision = first.revision === 0 ? "no_stream" : first.revision - 1;
  const events: NewEvent[] = run.map(({ eventId, type, schemaVersion, data, metadata }) => ({ eventId, type, schemaVersion, data, metadata }));
  let result;
  try {
    result = await runPort(to.append(streamId, events, expected));
  } catch (error) {
    if (error instanceof ConcurrencyConflict) {
      const actual = error.actual;
      throw divergent(
        streamId,
        `target stream ${streamId} is at revision ${actual} where the copy expected ${String(expected)} (the source's next event there is revision ${first.revision}, ${describeEvent(first)}): the target changed under the copy (another writer, or two copies at once)${first.revision > 0 && actual === "no_stream" ? ", or the source stream does not start at revision 0" : ""}`,
      );
    }
    if (error instanceof IdempotencyConflict) {
      throw divergent(streamId, `target stream ${streamId} cannot take ${describeEvent(first)}${run.length > 1 ? ` and the ${run.length - 1} events after it` : ""}: ${error.message}`);
    }
    throw error;
  }
  if (result.nextExpectedRevision !== last.revision) {
    throw divergent(streamId, `target stream ${streamId} ended at revision ${result.nextExpectedRevision} after the append of ${describeEvent(first)}…, not at the source's ${last.revision}`);
  }
  return result.alreadyApplied ? "alreadyApplied" : "written";
}

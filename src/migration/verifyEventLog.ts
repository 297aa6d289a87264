import { Effect } from "effect";
import { cubeEventCatalog, cubeRegistryStreamId, type CubeEvent } from "../../domain/cube/cubeEvents.js";
import { foldCube } from "../../domain/cube/cubeState.js";
import type { DecodedMemoryEvent } from "../../projections/envelope.js";
import { projectMemory, type ProjectedMemory } from "../../projections/memoryView.js";
import type { KeyRing } from "../crypto/keyRing.js";
import type { EventStorePort, RecordedEvent } from "../eventStore/eventStorePort.js";
import { decodeMemoryEvent, lastContentEventIndex } from "../memory/memoryEventCodec.js";
import { canonicalJson, copiedFields, digestOf, LogCursor, runPort, truncate, type CopiedField } from "./logEvents.js";

/**
 * Checks a copied log against its source, three ways:
 * 1. per stream: the same events (ids, revisions, types, schema versions, data,
 *    metadata), in the same order, nothing missing, nothing extra;
 * 2. the global order: the events both logs hold come in the same relative
 *    order (positions themselves differ between engines and are not compared);
 * 3. the folded state: every memory stream is folded with the engine's own fold
 *    (decodeMemoryEvent + projectMemory, unsealing the content with the key ring
 *    when one is given) and every cube stream with foldCube, on both sides, and
 *    the results compared (the view's `position` left out).
 *
 * Memory use: one short digest per event of each log (about 200 bytes).
 */

export type MismatchKind = "missing_stream" | "extra_stream" | "stream_length" | "event" | "global_order" | "memory_state" | "cube_state" | "fold_failed";

export interface LogMismatch {
  readonly kind: MismatchKind;
  readonly streamId?: string;
  readonly revision?: number;
  readonly field?: CopiedField;
  readonly message: string;
}

export interface VerifyReport {
  /** True when nothing differs. */
  readonly ok: boolean;
  /** Streams and events of the source. */
  readonly streams: number;
  readonly events: number;
  readonly targetStreams: number;
  readonly targetEvents: number;
  /** Target streams left out because the source does not have them (`otherStreams: "ignore"`). */
  readonly ignoredTargetStreams: number;
  readonly folded: {
    readonly memoryUnits: number;
    readonly cubes: number;
    /** Units whose current content was unsealed with the key ring. */
    readonly unsealed: number;
    /** Units in the erased state (content gone by design). */
    readonly erased: number;
    /** Units not erased whose content could not be unsealed: their key is not in the key store given. */
    readonly keyMissing: number;
  };
  readonly mismatches: readonly LogMismatch[];
  /** Mismatches found beyond `maxMismatches`, counted but not listed. */
  readonly mismatchesOmitted: number;
  readonly notes: readonly string[];
  readonly seconds: number;
}

export interface VerifyOptions {
  /** Unseals memory content for the fold; without it units are folded with their content sealed (null). */
  readonly keyRing?: KeyRing;
  readonly otherStreams?: "refuse" | "ignore";
  /** Compare only the streams this accepts, on both sides (as copyEventLog's `streams`). */
  readonly streams?: (streamId: string) => boolean;
  /** Default 1,000. */
  readonly batchSize?: number;
  /** Default 100. */
  readonly maxMismatches?: number;
  readonly onProgress?: (progress: { readonly phase: "reading source" | "reading target" | "folding"; readonly done: number; readonly total?: number }) => void;
}

interface EventDigest {
  readonly eventId: string;
  readonly revision: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: string;
  readonly metadata: string;
}

interface LogDigest {
  readonly streams: Map<string, EventDigest[]>;
  /** `streamId \0 revision`, in global order. */
  readonly order: string[];
}

const orderKey = (streamId: string, revision: number) => `${streamId}\u0000${revision}`;
const streamOfKey = (key: string) => key.slice(0, key.lastIndexOf("\u0000"));

export async function verifyCopiedLog(from: EventStorePort, to: EventStorePort, options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 1_000;
  const maxMismatches = options.maxMismatches ?? 100;
  const mismatches: LogMismatch[] = [];
  let omitted = 0;
  const notes: string[] = [];
  const mismatch = (m: LogMismatch) => {
    if (mismatches.length < maxMismatches) mismatches.push(m);
    else omitted += 1;
  };

  const selected = options.streams ?? (() => true);
  const source = await digestLog(from, batchSize, (event) => selected(event.streamId), (done) => options.onProgress?.({ phase: "reading source", done }));
  const ignored = new Set<string>();
  const target = await digestLog(
    to,
    batchSize,
    (event) => {
      if (!selected(event.streamId)) return false;
      if (options.otherStreams !== "ignore" || source.streams.has(event.streamId)) return true;
      ignored.add(event.streamId);
      return false;
    },
    (done) => options.onProgress?.({ phase: "reading target", done }),
  );

  // 1. Stream by stream.
  for (const [streamId, events] of source.streams) {
    const copies = target.streams.get(streamId);
    if (!copies) {
      mismatch({ kind: "missing_stream", streamId, message: `stream ${streamId} (${events.length} events) is not in the target` });
      continue;
    }
    compareStream(streamId, events, copies, mismatch);
  }
  for (const [streamId, copies] of target.streams) {
    if (!source.streams.has(streamId)) mismatch({ kind: "extra_stream", streamId, message: `stream ${streamId} (${copies.length} events) is in the target but not in the source` });
  }

  // 2. Relative global order of the events both hold.
  compareOrder(source, target, mismatch);

  // 3. Folded state.
  let memoryUnits = 0;
  let cubes = 0;
  let unsealed = 0;
  let erased = 0;
  let keyMissing = 0;
  const common = [...source.streams.keys()].filter((s) => target.streams.has(s));
  const memoryStreams = common.filter((s) => s.startsWith("memory-"));
  const cubeStreams = common.filter((s) => s.startsWith("cube-") && !isRegistryStream(s, source.streams.get(s)!));
  const material = materialLookup(options.keyRing);
  let folded = 0;
  for (const streamId of memoryStreams) {
    const [a, b] = await Promise.all([foldMemoryStream(from, streamId, material), foldMemoryStream(to, streamId, material)]);
    memoryUnits += 1;
    if ("error" in a || "error" in b) {
      const same = "error" in a && "error" in b && a.error === b.error;
      if (same) notes.push(`memory stream ${streamId} cannot be folded on either side: ${a.error}`);
      else mismatch({ kind: "fold_failed", streamId, message: `memory stream ${streamId} folds on one side only: source ${"error" in a ? a.error : "ok"}, target ${"error" in b ? b.error : "ok"}` });
    } else {
      const left = comparableMemory(a.projection);
      const right = comparableMemory(b.projection);
      if (left !== right) mismatch({ kind: "memory_state", streamId, message: `memory stream ${streamId} folds to different states: source ${truncate(left, 200)}, target ${truncate(right, 200)}` });
      const state = a.projection.state;
      if (state.status === "erased") erased += 1;
      else if (state.status !== "absent" && state.content !== null) unsealed += 1;
      else if (state.status !== "absent" && a.sealed) keyMissing += 1;
    }
    folded += 1;
    if (folded % 500 === 0) options.onProgress?.({ phase: "folding", done: folded, total: memoryStreams.length + cubeStreams.length });
  }
  for (const streamId of cubeStreams) {
    const [a, b] = await Promise.all([foldCubeStream(from, streamId), foldCubeStream(to, streamId)]);
    cubes += 1;
    if (a !== b) mismatch({ kind: "cube_state", streamId, message: `cube stream ${streamId} folds to different states: source ${truncate(a, 200)}, target ${truncate(b, 200)}` });
    folded += 1;
  }

  if (!options.keyRing) notes.push("no key store given: memory content was compared sealed (as stored) and folded without unsealing");
  else if (keyMissing > 0) {
    notes.push(`${keyMissing} memory units that are not erased have content whose key is not in the key store given: is it the key store of this log?`);
  }
  if (ignored.size > 0) notes.push(`${ignored.size} target streams the source does not have were left out`);

  return {
    ok: mismatches.length === 0 && omitted === 0,
    streams: source.streams.size,
    events: source.order.length,
    targetStreams: target.streams.size,
    targetEvents: target.order.length,
    ignoredTargetStreams: ignored.size,
    folded: { memoryUnits, cubes, unsealed, erased, keyMissing },
    mismatches,
    mismatchesOmitted: omitted,
    notes,
    seconds: (performance.now() - started) / 1000,
  };
}

async function digestLog(store: EventStorePort, pageSize: number, keep: (event: RecordedEvent) => boolean, onProgress: (done: number) => void): Promise<LogDigest> {
  const streams = new Map<string, EventDigest[]>();
  const order: string[] = [];
  const cursor = new LogCursor(store, 0, pageSize);
  for (let event = await cursor.next(); event; event = await cursor.next()) {
    if (!keep(event)) continue;
    let events = streams.get(event.streamId);
    if (!events) streams.set(event.streamId, (events = []));
    events.push({
      eventId: event.eventId,
      revision: event.revision,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: digestOf(event.data),
      metadata: digestOf(event.metadata),
    });
    order.push(orderKey(event.streamId, event.revision));
    if (order.length % (pageSize * 10) === 0) onProgress(order.length);
  }
  onProgress(order.length);
  return { streams, order };
}

function compareStream(streamId: string, events: readonly EventDigest[], copies: readonly EventDigest[], mismatch: (m: LogMismatch) => void): void {
  const n = Math.min(events.length, copies.length);
  for (let i = 0; i < n; i += 1) {
    const a = events[i]!;
    const b = copies[i]!;
    const fields = copiedFields.filter((f): f is Exclude<CopiedField, "streamId"> => f !== "streamId" && a[f] !== b[f]);
    if (fields.length === 0) continue;
    const shown = (d: EventDigest, f: Exclude<CopiedField, "streamId">) => (f === "data" || f === "metadata" ? `digest ${d[f]}` : String(d[f]));
    for (const field of fields) {
      mismatch({
        kind: "event",
        streamId,
        revision: a.revision,
        field,
        message: `stream ${streamId}, event #${i} (source revision ${a.revision}, ${a.type} ${a.eventId}): ${field} differs: source ${shown(a, field)}, target ${shown(b, field)}`,
      });
    }
  }
  if (events.length !== copies.length) {
    const more = events.length > copies.length ? "source" : "target";
    mismatch({
      kind: "stream_length",
      streamId,
      message: `stream ${streamId} has ${events.length} events in the source and ${copies.length} in the target (the ${more} has more, from revision ${(more === "source" ? events : copies)[n]!.revision})`,
    });
  }
}

function compareOrder(source: LogDigest, target: LogDigest, mismatch: (m: LogMismatch) => void): void {
  const inTarget = new Set(target.order);
  const inSource = new Set(source.order);
  const a = source.order.filter((k) => inTarget.has(k));
  const b = target.order.filter((k) => inSource.has(k));
  let differing = 0;
  let first = -1;
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] !== b[i]) {
      differing += 1;
      if (first < 0) first = i;
    }
  }
  if (first < 0) return;
  const show = (key: string | undefined) => (key === undefined ? "nothing" : `${streamOfKey(key)}@${key.slice(key.lastIndexOf("\u0000") + 1)}`);
  mismatch({
    kind: "global_order",
    streamId: streamOfKey(a[first]!),
    message: `the logs' global order differs from the ${first + 1}th event both hold: the source has ${show(a[first])} there, the target ${show(b[first])} (${differing} of ${a.length} places differ)`,
  });
}

/** `cube-registry-<tenant>` streams hold CubeRegistered events, not a cube. */
function isRegistryStream(streamId: string, events: readonly EventDigest[]): boolean {
  return streamId.startsWith(cubeRegistryStreamId("")) && events.every((e) => e.type === "CubeRegistered");
}

type Material = (keyId: string) => Promise<Buffer | null>;

function materialLookup(keyRing: KeyRing | undefined): Material {
  if (!keyRing) return async () => null;
  return (keyId) => runPort(keyRing.material(keyId));
}

/** Folds one memory stream as the repository does: only the last content-bearing event is unsealed. */
async function foldMemoryStream(store: EventStorePort, streamId: string, material: Material): Promise<{ projection: ProjectedMemory; sealed: boolean } | { error: string }> {
  try {
    const recorded = await runPort(store.readStream(streamId));
    const last = lastContentEventIndex(recorded);
    const keyId = last >= 0 ? recorded[last]!.metadata.keyId : undefined;
    const key = keyId ? await material(keyId) : null;
    const decoded: DecodedMemoryEvent[] = recorded.map((event, i) => decodeMemoryEvent(event, i === last ? key : null));
    return { projection: projectMemory(decoded), sealed: keyId !== undefined && key === null };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function comparableMemory(projection: ProjectedMemory): string {
  const { view } = projection;
  const viewWithoutPosition = view ? Object.fromEntries(Object.entries(view).filter(([k]) => k !== "position")) : null;
  return canonicalJson({ state: projection.state, view: viewWithoutPosition, commandIds: [...projection.commandIds].sort() });
}

async function foldCubeStream(store: EventStorePort, streamId: string): Promise<string> {
  const events = await runPort(store.readStream(streamId).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([] as readonly RecordedEvent[]))));
  const cubeEvents = events.filter((e) => e.type in cubeEventCatalog && e.type !== "CubeRegistered").map((e) => ({ type: e.type, data: e.data }) as CubeEvent);
  return canonicalJson(foldCube(cubeEvents) ?? null);
}

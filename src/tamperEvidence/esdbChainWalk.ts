import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { KeyObject } from "node:crypto";
import { genesisHash, nextChainHash, nextStreamHash } from "../eventStore/eventHashChain.js";
import type { CheckpointSummary, TamperFinding, TamperReport } from "./walkHashChain.js";
import { comparePositions, type AllLogReader, type AllPosition, type LoggedEvent } from "./allLogReader.js";
import { esdbSignatureHolds, type EsdbCheckpointLine, type EsdbSignedCheckpoint } from "./esdbCheckpoints.js";
import { eventDigest, hasChainField, storedStreamHash } from "../eventStore/esdbStreamChain.js";

/**
 * `audit verify` on an EventStoreDB/KurrentDB log: one pass over `$all` in commit order. For every user event
 * it checks that its stream's revisions run without a gap and never go backwards, and that the stream hash
 * in its metadata follows from the stream's previous event; it folds every user event's stream hash into a
 * running hash over `$all` (system streams, `$`-prefixed, and `$`-typed events are skipped), and compares that
 * with every signed checkpoint at the checkpoint's position. Stream metadata that truncates a user stream
 * (`$tb`, `$maxCount`, `$maxAge`) and tombstones are reported too: they make the server drop events.
 * The running hash needs no lock among writers: it is computed by reading `$all`, whose order the server fixes.
 */

export interface EsdbWalkOptions {
  readonly checkpoints?: readonly EsdbCheckpointLine[];
  /** Without one, checkpoints are counted but not checked. */
  readonly publicKey?: KeyObject;
  readonly maxProblems?: number;
  /** Called every `progressEvery` records with the commit position reached and where `$all` ended at the start. */
  readonly onProgress?: (position: number, head: number) => void;
  readonly progressEvery?: number;
  /** What the report calls the log (a redacted server address). */
  readonly name?: string;
}

/** The running hash over `$all` and where it stands: what a checkpoint signs. */
export interface EsdbChainHead {
  readonly position: AllPosition;
  readonly chainHash: Buffer;
}

export interface EsdbWalkResult {
  readonly report: TamperReport;
  /** The last user event's position and the running hash there; undefined for a log without user events. */
  readonly head?: EsdbChainHead;
}

const isSystem = (event: LoggedEvent): boolean => event.streamId.startsWith("$") || event.type.startsWith("$");

export async function walkEsdbChain(reader: AllLogReader, options: EsdbWalkOptions = {}): Promise<EsdbWalkResult> {
  const started = performance.now();
  const maxProblems = options.maxProblems ?? 100;
  const problems: TamperFinding[] = [];
  let omitted = 0;
  const report = (finding: TamperFinding) => {
    if (problems.length < maxProblems) problems.push(finding);
    else omitted += 1;
  };

  // Checkpoints whose signature holds, in log order, matched as the walk passes their position.
  const pending: { line: number; checkpoint: EsdbSignedCheckpoint; at: AllPosition }[] = [];
  let found = 0;
  let verified = 0;
  let latestVerified: CheckpointSummary["latestVerified"];
  for (const entry of options.checkpoints ?? []) {
    found += 1;
    if ("unreadable" in entry) {
      report({ kind: "checkpoint", message: `checkpoint line ${entry.line} does not read: ${entry.unreadable}` });
      continue;
    }
    if (!options.publicKey) continue;
    const c = entry.checkpoint;
    if (!esdbSignatureHolds(options.publicKey, c)) {
      report({ kind: "checkpoint", position: c.position, message: `checkpoint line ${entry.line} ($all position ${c.position}/${c.prepare}, signed ${c.signedAt}): the signature does not verify with the public key: the checkpoint was forged or altered` });
      continue;
    }
    pending.push({ line: entry.line, checkpoint: c, at: { commit: BigInt(c.position), prepare: BigInt(c.prepare) } });
  }
  pending.sort((a, b) => comparePositions(a.at, b.at));

  const head = await reader.headPosition();
  const headNumber = head ? Number(head.commit) : 0;
  const streams = new Map<string, { revision: bigint; hash: Buffer }>();
  let running = genesisHash;
  let last: AllPosition | undefined;
  let chainingStarted = false;
  let events = 0;
  let records = 0;
  let unchained = 0;
  const progressEvery = options.progressEvery ?? 1_000;

  const checkpointsUpTo = (position: AllPosition, event: LoggedEvent | undefined) => {
    while (pending.length > 0 && comparePositions(pending[0]!.at, position) <= 0) {
      const { line, checkpoint, at } = pending.shift()!;
      if (event && comparePositions(at, position) === 0) {
        const here = running.toString("hex");
        if (here === checkpoint.chainHash) {
          verified += 1;
          if (!latestVerified || checkpoint.position >= latestVerified.position) latestVerified = { position: checkpoint.position, signedAt: checkpoint.signedAt, chainHash: checkpoint.chainHash };
        } else {
          report({ kind: "checkpoint", position: checkpoint.position, message: `history up to $all position ${checkpoint.position} was rewritten: the running hash there is ${here}, but checkpoint line ${line} signed ${checkpoint.chainHash} on ${checkpoint.signedAt}: events before it were removed, inserted, or rewritten with recomputed stream hashes` });
        }
      } else {
        report({ kind: "removed", position: checkpoint.position, message: `checkpoint line ${line} (signed ${checkpoint.signedAt}) vouches for the event at $all position ${checkpoint.position}/${checkpoint.prepare}, but no user event is there any more: it was removed (scavenged after a delete or truncation), or turned into a system event` });
      }
    }
  };

  for await (const event of reader.readAll()) {
    records += 1;
    if (records % progressEvery === 0) {
      options.onProgress?.(Number(event.position.commit), headNumber);
      await yieldToEventLoop();
    }
    // A signed position the walk went past without meeting its event: that event is gone.
    checkpointsUpTo({ commit: event.position.commit, prepare: event.position.prepare - 1n }, undefined);
    if (isSystem(event)) {
      systemRecordFinding(event, report);
      continue;
    }
    events += 1;
    const at = { streamId: event.streamId, revision: Number(event.revision), position: Number(event.position.commit) };
    const tenantId = tenantOf(event.metadata);
    const found = (finding: TamperFinding) => report(tenantId === undefined ? finding : { ...finding, tenantId });
    const where = `stream ${event.streamId} revision ${event.revision} ($all position ${event.position.commit})`;

    if (last && comparePositions(event.position, last) <= 0) {
      found({ kind: "out_of_order", ...at, message: `${where} comes after $all position ${last.commit} in the log: the log's records were reordered` });
    }
    const stream = streams.get(event.streamId) ?? { revision: -1n, hash: genesisHash };
    if (event.revision <= stream.revision) {
      found({ kind: "out_of_order", ...at, message: `${where} comes after revision ${stream.revision} of its stream in $all: the stream's events were reordered, or this one inserted` });
    } else if (event.revision !== stream.revision + 1n) {
      const missing = event.revision - stream.revision - 1n;
      found({ kind: "removed", ...at, message: `${where}: the stream's previous event in $all is revision ${stream.revision}: ${missing === 1n ? `revision ${stream.revision + 1n} was` : `revisions ${stream.revision + 1n}..${event.revision - 1n} were`} removed` });
    }

    const digest = eventDigest(event);
    const stored = storedStreamHash(event.metadata);
    if (stored) {
      chainingStarted = true;
      if (!nextStreamHash(stream.hash, digest).equals(stored)) {
        found({ kind: "changed", ...at, message: `${where} was changed: its stream hash does not follow from its content and the stream's revision ${stream.revision}: its data, metadata, type, id or revision differ from what was written (or a forged event was given a made-up hash)` });
      }
    } else if (hasChainField(event.metadata)) {
      found({ kind: "unhashed", ...at, message: `${where} carries a $chain entry that does not read (version 1, a 64-digit hex stream hash): it was written or edited outside memledger` });
    } else if (chainingStarted) {
      found({ kind: "unhashed", ...at, message: `${where} has no stream hash although memledger chained the events before it: it was inserted outside memledger` });
    } else {
      unchained += 1;
    }
    // Carry on from what is stored, so one bad event is reported once, not with every event after it.
    streams.set(event.streamId, { revision: event.revision > stream.revision ? event.revision : stream.revision, hash: stored ?? genesisHash });
    running = runningHashStep(running, stored, digest);
    last = event.position;
    checkpointsUpTo(event.position, event);
  }

  const end = last;
  for (const { line, checkpoint } of pending) {
    report({ kind: "truncated", position: checkpoint.position, message: `checkpoint line ${line} (signed ${checkpoint.signedAt}) vouches for $all position ${checkpoint.position}, but the log's last user event is at ${end ? end.commit : "(none)"}: events were removed from the end` });
  }
  options.onProgress?.(end ? Number(end.commit) : headNumber, headNumber);

  const firstBad = problems.filter((p) => p.position !== undefined).sort((a, b) => a.position! - b.position!)[0] ?? problems[0];
  return {
    report: {
      ok: problems.length === 0 && omitted === 0,
      file: options.name ?? "$all",
      events,
      streams: streams.size,
      head: { position: end ? Number(end.commit) : 0, chainHash: running.toString("hex") },
      unchained,
      ...(firstBad ? { firstBad } : {}),
      problems,
      problemsOmitted: omitted,
      checkpoints: {
        found,
        verified,
        ...(latestVerified ? { latestVerified } : {}),
        ...(found > 0 && !options.publicKey ? { skipped: "no public key given, so the checkpoints' signatures were not checked" } : {}),
      },
      seconds: (performance.now() - started) / 1000,
    },
    ...(end ? { head: { position: end, chainHash: running } } : {}),
  };
}

/** One step of the running hash over `$all`: the event's stream hash, or its digest when it carries none. */
function runningHashStep(running: Buffer, stored: Buffer | undefined, digest: Buffer): Buffer {
  return nextChainHash(running, stored ?? digest);
}

/**
 * The running hash at the newest user event, folded on from a trusted start (a checkpoint whose signature
 * holds) instead of from the beginning of `$all`: what signing a checkpoint needs, without the checks.
 */
export async function foldRunningHash(reader: AllLogReader, from?: EsdbChainHead): Promise<EsdbChainHead | undefined> {
  let head = from;
  let running = from?.chainHash ?? genesisHash;
  for await (const event of reader.readAll(from?.position)) {
    if (isSystem(event)) continue;
    running = runningHashStep(running, storedStreamHash(event.metadata), eventDigest(event));
    head = { position: event.position, chainHash: running };
  }
  return head;
}

/** Stream metadata that makes the server drop a user stream's events, and tombstones: both remove history. */
function systemRecordFinding(event: LoggedEvent, report: (finding: TamperFinding) => void): void {
  const position = Number(event.position.commit);
  if (event.type === "$streamDeleted" && !event.streamId.startsWith("$")) {
    report({ kind: "removed", streamId: event.streamId, position, message: `stream ${event.streamId} was deleted for good (tombstoned) at $all position ${position}: its events are gone from reads and go at the next scavenge` });
    return;
  }
  if (event.type !== "$metadata" || !event.streamId.startsWith("$$") || event.streamId.startsWith("$$$")) return;
  const target = event.streamId.slice(2);
  const data = typeof event.data === "object" && event.data !== null ? (event.data as Record<string, unknown>) : {};
  const cuts = [
    typeof data["$tb"] === "number" && data["$tb"] > 0 ? `truncated before revision ${data["$tb"]} ($tb${data["$tb"] >= Number.MAX_SAFE_INTEGER ? ": a soft delete" : ""})` : undefined,
    data["$maxCount"] !== undefined ? `limited to its newest ${String(data["$maxCount"])} events ($maxCount)` : undefined,
    data["$maxAge"] !== undefined ? `limited to events younger than ${String(data["$maxAge"])} s ($maxAge)` : undefined,
  ].filter((cut): cut is string => cut !== undefined);
  if (cuts.length > 0) {
    report({ kind: "truncated", streamId: target, position, message: `stream ${target} was ${cuts.join(" and ")} by stream metadata written at $all position ${position}: the server hides those events and removes them at the next scavenge; memledger never sets this` });
  }
}

function tenantOf(metadata: unknown): string | undefined {
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const tenantId = (metadata as { tenantId?: unknown }).tenantId;
  return typeof tenantId === "string" ? tenantId : undefined;
}

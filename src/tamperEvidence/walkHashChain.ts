import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { KeyObject } from "node:crypto";
import { checkEvent, describeVerdict } from "../eventStore/eventChecksum.js";
import { genesisHash, isHash, nextChainHash, nextStreamHash } from "../eventStore/eventHashChain.js";
import { chainedFormat, type StoredEventRow } from "../eventStore/sqliteLogFormat.js";
import { isDamage, sqliteCodeOf } from "../eventStore/sqliteFailure.js";
import { signatureHolds, type CheckpointLine, type SignedCheckpoint } from "./signedCheckpoints.js";

/**
 * `memledger audit verify` / `POST /audit/verify`: walks the embedded log in position order, read-only, and
 * checks every event's checksum, each stream's hash chain, the global chain over positions, that positions and
 * revisions run without a gap, and every signed checkpoint against the chain. It names the first event that was
 * changed, removed, reordered or inserted. Between pages it yields to the event loop, so a server stays responsive.
 */

export type TamperFindingKind =
  | "changed" // bytes differ from their checksum
  | "removed" // a position or a stream revision is missing
  | "out_of_order" // a stream's revision goes backwards
  | "chain_broken" // the checksum holds but a hash does not follow: rewritten with a recomputed checksum, inserted or moved
  | "unhashed" // a chained log holds a row without hashes: written outside memledger
  | "truncated" // events removed from the end
  | "checkpoint" // a checkpoint does not verify or does not match the chain
  | "unreadable"; // SQLite cannot read the rows

export interface TamperFinding {
  readonly kind: TamperFindingKind;
  readonly streamId?: string;
  readonly revision?: number;
  readonly position?: number;
  /** The tenant of the event, from its metadata, when it reads: scoped callers see only their own tenant's details. */
  readonly tenantId?: string;
  readonly message: string;
}

export interface CheckpointSummary {
  readonly found: number;
  /** Checkpoints whose signature holds and whose chain hash matches the log. */
  readonly verified: number;
  /** The highest checkpoint that verified: history up to it is as signed. */
  readonly latestVerified?: { readonly position: number; readonly signedAt: string; readonly chainHash: string };
  /** Why checkpoints were not checked (no public key), when they were not. */
  readonly skipped?: string;
}

export interface TamperReport {
  readonly ok: boolean;
  readonly file: string;
  readonly events: number;
  readonly streams: number;
  /** The last stored position and its chain hash (hex): what a new checkpoint would sign. */
  readonly head: { readonly position: number; readonly chainHash: string };
  /** Rows of a log not yet migrated to hash chains (the server chains them at its next start). */
  readonly unchained: number;
  readonly firstBad?: TamperFinding;
  readonly problems: readonly TamperFinding[];
  readonly problemsOmitted: number;
  readonly checkpoints: CheckpointSummary;
  readonly seconds: number;
}

export interface TamperWalkOptions {
  /** The signed checkpoints to check (signedCheckpoints.readCheckpoints). */
  readonly checkpoints?: readonly CheckpointLine[];
  /** The public key to check their signatures with; without one, checkpoints are not checked. */
  readonly publicKey?: KeyObject;
  readonly maxProblems?: number;
  readonly onProgress?: (events: number, head: number) => void;
  readonly pageSize?: number;
}

export async function walkHashChain(file: string, options: TamperWalkOptions = {}): Promise<TamperReport> {
  const started = performance.now();
  if (!existsSync(file)) throw new Error(`no event log at ${file}: is this a memledger data directory?`);
  const maxProblems = options.maxProblems ?? 100;
  const problems: TamperFinding[] = [];
  let omitted = 0;
  const report = (finding: TamperFinding) => {
    if (problems.length < maxProblems) problems.push(finding);
    else omitted += 1;
  };

  const checkpointsByPosition = new Map<number, { line: number; checkpoint: SignedCheckpoint }[]>();
  let checkpointsFound = 0;
  let verified = 0;
  let latestVerified: CheckpointSummary["latestVerified"];
  for (const entry of options.checkpoints ?? []) {
    checkpointsFound += 1;
    if ("unreadable" in entry) {
      report({ kind: "checkpoint", message: `checkpoint line ${entry.line} does not read: ${entry.unreadable}` });
      continue;
    }
    if (!options.publicKey) continue;
    if (!signatureHolds(options.publicKey, entry.checkpoint)) {
      report({ kind: "checkpoint", position: entry.checkpoint.position, message: `checkpoint line ${entry.line} (position ${entry.checkpoint.position}, signed ${entry.checkpoint.signedAt}): the signature does not verify with the public key: the checkpoint was forged or altered` });
      continue;
    }
    const list = checkpointsByPosition.get(entry.checkpoint.position) ?? [];
    list.push({ line: entry.line, checkpoint: entry.checkpoint });
    checkpointsByPosition.set(entry.checkpoint.position, list);
  }

  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const format = Number(db.pragma("user_version", { simple: true }));
    const counter = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
    const page = db.prepare<[number, number], StoredEventRow>("SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?");
    const pageSize = options.pageSize ?? 5_000;
    const streams = new Map<string, { revision: number; hash: Buffer }>();
    let previousPosition = 0;
    let previousChain = genesisHash;
    let events = 0;
    let unchained = 0;

    const visit = (row: StoredEventRow) => {
      events += 1;
      const at = { streamId: row.stream_id, revision: row.revision, position: row.position };
      // A finding about this row carries its tenant; the metadata is parsed only then.
      const found = (finding: TamperFinding) => {
        const tenantId = tenantOf(row.metadata);
        report(tenantId === undefined ? finding : { ...finding, tenantId });
      };
      const where = `stream ${row.stream_id} revision ${row.revision} (log position ${row.position})`;
      const verdict = checkEvent(
        { position: row.position, streamId: row.stream_id, revision: row.revision, eventId: row.event_id, type: row.type, schemaVersion: row.schema_version, data: row.data, metadata: row.metadata },
        row.checksum,
      );
      if (verdict !== "ok") found({ kind: "changed", ...at, message: `${where} was changed: checksum ${verdict}: ${describeVerdict[verdict]} (the checksum covers the position too, so a moved row fails it)` });
      if (row.position !== previousPosition + 1) {
        const gap = row.position - previousPosition - 1;
        found({ kind: "removed", position: previousPosition + 1, message: `log position${gap === 1 ? ` ${previousPosition + 1} is` : `s ${previousPosition + 1}..${row.position - 1} are`} missing: ${gap === 1 ? "an event was" : `${gap} events were`} removed before ${where}` });
      }
      const stream = streams.get(row.stream_id) ?? { revision: -1, hash: genesisHash };
      if (row.revision <= stream.revision) {
        found({ kind: "out_of_order", ...at, message: `${where} comes after revision ${stream.revision} of its stream in the log: the stream's events were reordered, or this one inserted` });
      } else if (row.revision !== stream.revision + 1) {
        found({ kind: "removed", ...at, message: `${where}: the stream's previous event in the log is revision ${stream.revision}: revision${row.revision - stream.revision > 2 ? `s ${stream.revision + 1}..${row.revision - 1} were` : ` ${stream.revision + 1} was`} removed or moved` });
      }
      const hashed = isHash(row.stream_hash) && isHash(row.chain_hash);
      if (!hashed) {
        if (format < chainedFormat && row.stream_hash === null && row.chain_hash === null) unchained += 1;
        else found({ kind: "unhashed", ...at, message: `${where} has no valid stream or chain hash although every event of this log is chained: it was inserted or rewritten outside memledger` });
      } else if (Buffer.isBuffer(row.checksum)) {
        const streamFollows = nextStreamHash(stream.hash, row.checksum).equals(row.stream_hash!);
        const chainFollows = nextChainHash(previousChain, row.stream_hash!).equals(row.chain_hash!);
        if (verdict === "ok" && !chainFollows) {
          found({
            kind: "chain_broken",
            ...at,
            message: streamFollows
              ? `${where}: its chain hash does not follow from log position ${row.position - 1}: it was rewritten (checksum and stream hash recomputed), inserted, or moved here, or the event before it was removed`
              : `${where}: neither its stream hash nor its chain hash follows from the events before it: it was rewritten with a recomputed checksum, or inserted`,
          });
        } else if (verdict === "ok" && !streamFollows) {
          found({ kind: "chain_broken", ...at, message: `${where}: its stream hash does not follow from the stream's revision ${stream.revision}: that event was rewritten with recomputed hashes, or this one was moved` });
        }
      }
      // Carry on from what is stored, so one damaged row is reported once, not with every row after it.
      streams.set(row.stream_id, { revision: Math.max(row.revision, stream.revision), hash: isHash(row.stream_hash) ? row.stream_hash : stream.hash });
      if (isHash(row.chain_hash)) previousChain = row.chain_hash;
      previousPosition = row.position;
      for (const { line, checkpoint } of checkpointsByPosition.get(row.position) ?? []) {
        const stored = isHash(row.chain_hash) ? row.chain_hash.toString("hex") : "(none)";
        if (stored === checkpoint.chainHash) {
          verified += 1;
          if (!latestVerified || checkpoint.position >= latestVerified.position) latestVerified = { position: checkpoint.position, signedAt: checkpoint.signedAt, chainHash: checkpoint.chainHash };
        } else {
          found({ kind: "checkpoint", ...at, message: `history up to log position ${row.position} was rewritten: the chain hash there is ${stored}, but checkpoint line ${line} signed ${checkpoint.chainHash} on ${checkpoint.signedAt}` });
        }
      }
    };

    let after = 0;
    for (;;) {
      let rows: StoredEventRow[];
      try {
        rows = page.all(after, pageSize);
      } catch (error) {
        if (!isDamage(error)) throw error;
        report({ kind: "unreadable", position: after + 1, message: `the events after log position ${after} do not read back (${describe(error)}): run \`memledger log verify\` for how far the damage reaches` });
        break;
      }
      if (rows.length === 0) break;
      for (const row of rows) visit(row);
      after = rows[rows.length - 1]!.position;
      options.onProgress?.(events, counter);
      await yieldToEventLoop();
    }

    if (counter > previousPosition) {
      report({ kind: "truncated", position: previousPosition + 1, message: `the log's position counter reached ${counter} but the last stored event is at position ${previousPosition}: ${counter - previousPosition} event(s) were removed from the end` });
    }
    for (const [position, entries] of checkpointsByPosition) {
      if (position <= previousPosition) continue;
      for (const { line, checkpoint } of entries) {
        report({ kind: "truncated", position, message: `checkpoint line ${line} (signed ${checkpoint.signedAt}) vouches for log position ${position}, but the log ends at ${previousPosition}: events were removed from the end` });
      }
    }

    const firstBad = problems.filter((p) => p.position !== undefined).sort((a, b) => a.position! - b.position!)[0] ?? problems[0];
    return {
      ok: problems.length === 0 && omitted === 0,
      file,
      events,
      streams: streams.size,
      head: { position: previousPosition, chainHash: previousChain.toString("hex") },
      unchained,
      ...(firstBad ? { firstBad } : {}),
      problems,
      problemsOmitted: omitted,
      checkpoints: {
        found: checkpointsFound,
        verified,
        ...(latestVerified ? { latestVerified } : {}),
        ...(checkpointsFound > 0 && !options.publicKey ? { skipped: "no public key given, so the checkpoints' signatures were not checked" } : {}),
      },
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    db.close();
  }
}

/** The tenant named in an event's stored metadata, parsed lazily (only rows with a finding need it). */
function tenantOf(metadata: unknown): string | undefined {
  if (typeof metadata !== "string" || !metadata.includes("tenantId")) return undefined;
  try {
    const tenantId = (JSON.parse(metadata) as { tenantId?: unknown }).tenantId;
    return typeof tenantId === "string" ? tenantId : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const code = sqliteCodeOf(error);
  return `${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ""}`;
}

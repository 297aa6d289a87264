import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { checkEvent, describeVerdict } from "../eventStore/eventChecksum.js";
import { checksummedFormat, type StoredEventRow } from "../eventStore/sqliteLogFormat.js";
import { isDamage, sqliteCodeOf } from "../eventStore/sqliteFailure.js";

/**
 * `memledger log verify`: one embedded log checked on its own, read-only, while a server may be running:
 * 1. SQLite's `PRAGMA integrity_check` (every page, every record, and that each index matches the table);
 * 2. every event read in log order and checked against its checksum (eventChecksum.ts), its JSON parsed;
 * 3. each stream's revisions counted from 0 without a gap.
 * An unreadable stretch of the table is stepped over, so the report says how far the damage reaches.
 * (verifyEventLog.ts compares two logs; this checks one.)
 */

export type LogProblemKind = "structure" | "unreadable" | "checksum" | "json" | "revision_gap" | "unopenable";

export interface LogProblem {
  readonly kind: LogProblemKind;
  readonly streamId?: string;
  readonly revision?: number;
  readonly position?: number;
  readonly message: string;
}

export interface LogCheckReport {
  readonly ok: boolean;
  readonly file: string;
  readonly events: number;
  readonly streams: number;
  /** Rows of a log written before checksums that have none yet (the server writes them at its next start). */
  readonly unchecked: number;
  /** The first damaged event, in log order, when one was found. */
  readonly firstBad?: LogProblem;
  readonly problems: readonly LogProblem[];
  readonly problemsOmitted: number;
  readonly seconds: number;
}

export interface LogCheckOptions {
  /** Default 100. */
  readonly maxProblems?: number;
  readonly onProgress?: (events: number) => void;
}

type Row = StoredEventRow;

const pageSize = 5_000;

export function checkEventLog(file: string, options: LogCheckOptions = {}): LogCheckReport {
  const started = performance.now();
  const maxProblems = options.maxProblems ?? 100;
  const problems: LogProblem[] = [];
  let omitted = 0;
  const report = (problem: LogProblem) => {
    if (problems.length < maxProblems) problems.push(problem);
    else omitted += 1;
  };
  const finish = (counts: { events: number; streams: number; unchecked: number }): LogCheckReport => {
    const firstBad = problems.filter((p) => p.position !== undefined).sort((a, b) => a.position! - b.position!)[0] ?? problems[0];
    return { ok: problems.length === 0 && omitted === 0, file, ...counts, ...(firstBad ? { firstBad } : {}), problems, problemsOmitted: omitted, seconds: (performance.now() - started) / 1000 };
  };
  if (!existsSync(file)) throw new Error(`no event log at ${file}: is this a memledger data directory?`);

  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma("busy_timeout = 5000");
  } catch (error) {
    report({ kind: "unopenable", message: `SQLite cannot open ${file}: ${describe(error)}` });
    return finish({ events: 0, streams: 0, unchecked: 0 });
  }
  try {
    let format: number;
    try {
      format = Number(db.pragma("user_version", { simple: true }));
      const structure = db.prepare("PRAGMA integrity_check(20)").pluck().all().map(String);
      if (!(structure.length === 1 && structure[0] === "ok")) for (const line of structure) report({ kind: "structure", message: `PRAGMA integrity_check: ${line}` });
    } catch (error) {
      if (!isDamage(error)) throw error;
      report({ kind: "structure", message: `PRAGMA integrity_check stopped: ${describe(error)}` });
      format = checksummedFormat;
    }

    const head = lastPosition(db);
    let page: Database.Statement<[number, number], Row>;
    try {
      page = db.prepare<[number, number], Row>("SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?");
    } catch (error) {
      if (!isDamage(error)) throw error;
      report({ kind: "unopenable", message: `SQLite cannot read the schema of ${file}: ${describe(error)}` });
      return finish({ events: 0, streams: 0, unchecked: 0 });
    }
    const nextRevision = new Map<string, number>();
    let events = 0;
    let unchecked = 0;
    let after = 0;
    for (;;) {
      let rows: Row[];
      try {
        rows = page.all(after, pageSize);
      } catch (error) {
        if (!isDamage(error)) throw error;
        const resumeAt = nextReadable(page, after, head);
        report({
          kind: "unreadable",
          position: after + 1,
          message: `the events after log position ${after} do not read back (${describe(error)})${resumeAt === undefined ? "; nothing after them does either" : `; reading resumes at position ${resumeAt}`}`,
        });
        if (resumeAt === undefined) break;
        after = resumeAt - 1;
        continue;
      }
      if (rows.length === 0) break;
      for (const row of rows) {
        events += 1;
        const at = { streamId: row.stream_id, revision: row.revision, position: row.position };
        const where = `stream ${row.stream_id} revision ${row.revision} (log position ${row.position})`;
        const verdict = checkEvent(
          { position: row.position, streamId: row.stream_id, revision: row.revision, eventId: row.event_id, type: row.type, schemaVersion: row.schema_version, data: row.data, metadata: row.metadata },
          row.checksum,
        );
        if (verdict === "missing" && format < checksummedFormat) unchecked += 1;
        else if (verdict !== "ok") report({ kind: "checksum", ...at, message: `${where}: checksum ${verdict}: ${describeVerdict[verdict]}` });
        else if (!parses(row.data) || !parses(row.metadata)) report({ kind: "json", ...at, message: `${where}: the stored JSON does not parse` });
        const expected = nextRevision.get(row.stream_id) ?? 0;
        if (row.revision !== expected) report({ kind: "revision_gap", ...at, message: `${where}: the stream's previous event read back was revision ${expected - 1}` });
        nextRevision.set(row.stream_id, row.revision + 1);
      }
      after = rows[rows.length - 1]!.position;
      options.onProgress?.(events);
    }
    return finish({ events, streams: nextRevision.size, unchecked });
  } finally {
    db.close();
  }
}

/** The highest position ever assigned, from SQLite's own counter (kept apart from the table's pages). */
function lastPosition(db: Database.Database): number {
  try {
    return (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck().get() as number | undefined) ?? 0;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/** A readable position after a damaged stretch, looked for in doubling steps (events the stretch shares with readable pages may be skipped). */
function nextReadable(page: Database.Statement<[number, number], Row>, after: number, head: number): number | undefined {
  for (let step = 1; after + step <= head; step *= 2) {
    try {
      return page.all(after + step, 1)[0]?.position;
    } catch (error) {
      if (!isDamage(error)) throw error;
    }
  }
  return undefined;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  const code = sqliteCodeOf(error);
  return `${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ""}`;
}

import { createHash } from "node:crypto";
import { canonicalJson } from "../command/canonicalJson.js";
import type { InterchangeRecord, Unhashed } from "./interchangeRecords.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The hash a record carries: its canonical JSON without the hash itself. */
export function recordHash(record: Record<string, unknown>): string {
  const { sha256: _ignored, ...body } = record;
  return sha256(canonicalJson(body));
}

/** Numbers and hashes records in order, and keeps the running digest the trailer states. */
export class RecordSealer {
  private seq = 0;
  private readonly digest = createHash("sha256");

  seal<R extends InterchangeRecord>(record: Unhashed<R>): R {
    const numbered = { ...record, seq: this.seq } as unknown as Record<string, unknown>;
    const hash = recordHash(numbered);
    this.seq += 1;
    if (record.kind !== "trailer") this.digest.update(hash);
    return { ...numbered, sha256: hash } as unknown as R;
  }

  get count(): number {
    return this.seq;
  }

  /** The digest over every record sealed so far; call once, for the trailer. */
  finish(): string {
    return this.digest.digest("hex");
  }
}

/** The importer's side: checks each record's own hash and sequence, then the trailer's digest. */
export class RecordVerifier {
  private seq = 0;
  private readonly digest = createHash("sha256");

  /** Undefined when the record is intact; otherwise what is wrong with it. */
  check(record: Record<string, unknown>): string | undefined {
    if (record.seq !== this.seq) return `is numbered ${String(record.seq)} where ${this.seq} was expected (a record was removed, added or moved)`;
    if (typeof record.sha256 !== "string" || recordHash(record) !== record.sha256) return "does not match its sha256 (its content was changed after export)";
    this.seq += 1;
    if (record.kind !== "trailer") this.digest.update(record.sha256);
    return undefined;
  }

  get count(): number {
    return this.seq;
  }

  finish(): string {
    return this.digest.digest("hex");
  }
}

import { sign, verify, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AllPosition } from "./allLogReader.js";

/**
 * Signed checkpoints of an EventStoreDB/KurrentDB log: the same ed25519 key and JSON-lines file format as the
 * embedded log's (src/tamperEvidence/signedCheckpoints.ts), with format 2, because a place in `$all` is a
 * commit and a prepare position rather than one number. The signed bytes are the compact JSON of
 * `{"format":2,"position":<commit>,"prepare":<prepare>,"chainHash":"<hex>","signedAt":"<ISO>"}`, where
 * chainHash is the running hash over `$all` up to and including the event at that position (esdbChainWalk.ts).
 */

export interface EsdbCheckpointStatement {
  readonly format: 2;
  /** Commit position of the last event covered. */
  readonly position: number;
  readonly prepare: number;
  readonly chainHash: string;
  readonly signedAt: string;
}

export interface EsdbSignedCheckpoint extends EsdbCheckpointStatement {
  readonly signature: string;
}

export type EsdbCheckpointLine = { readonly line: number; readonly checkpoint: EsdbSignedCheckpoint } | { readonly line: number; readonly unreadable: string };

/** Kept apart from the embedded checkpoints, so switching a data directory's engine never mixes the two. */
export const defaultEsdbCheckpointFile = (dataDir: string) => join(dataDir, "tamper", "eventstoredb-checkpoints.jsonl");

export function esdbSignedBytes(s: EsdbCheckpointStatement): Buffer {
  return Buffer.from(JSON.stringify({ format: s.format, position: s.position, prepare: s.prepare, chainHash: s.chainHash, signedAt: s.signedAt }), "utf8");
}

export function signEsdbCheckpoint(key: KeyObject, head: { readonly position: AllPosition; readonly chainHash: Buffer }, signedAt: Date): EsdbSignedCheckpoint {
  const statement: EsdbCheckpointStatement = { format: 2, position: Number(head.position.commit), prepare: Number(head.position.prepare), chainHash: head.chainHash.toString("hex"), signedAt: signedAt.toISOString() };
  return { ...statement, signature: sign(null, esdbSignedBytes(statement), key).toString("base64") };
}

export function esdbSignatureHolds(publicKey: KeyObject, checkpoint: EsdbSignedCheckpoint): boolean {
  try {
    return verify(null, esdbSignedBytes(checkpoint), publicKey, Buffer.from(checkpoint.signature, "base64"));
  } catch {
    return false;
  }
}

export function readEsdbCheckpoints(file: string): readonly EsdbCheckpointLine[] {
  if (!existsSync(file)) return [];
  return parseEsdbCheckpoints(readFileSync(file, "utf8"));
}

export function parseEsdbCheckpoints(text: string): readonly EsdbCheckpointLine[] {
  return text
    .split("\n")
    .map((line, i) => ({ line: i + 1, text: line }))
    .filter(({ text: line }) => line.trim() !== "")
    .map(({ line, text: json }): EsdbCheckpointLine => {
      try {
        const c = JSON.parse(json) as EsdbSignedCheckpoint;
        const wellFormed = c.format === 2 && Number.isSafeInteger(c.position) && Number.isSafeInteger(c.prepare) && typeof c.chainHash === "string" && typeof c.signedAt === "string" && typeof c.signature === "string";
        return wellFormed ? { line, checkpoint: c } : { line, unreadable: "not an EventStoreDB checkpoint (format 2): a field is missing or has the wrong type" };
      } catch (error) {
        return { line, unreadable: `not JSON (${String(error)})` };
      }
    });
}

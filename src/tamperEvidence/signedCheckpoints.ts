import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { appendFileSync, chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Signed checkpoints: an ed25519 signature over (position, chain hash at that position, when), appended to
 * a JSON-lines file outside the event log. The signing key lives outside the log too, so whoever can rewrite
 * events.db (and recompute every checksum and hash after the change) still cannot make a checkpoint agree
 * with the rewritten history. Publish a checkpoint (the CLI prints it) and the public key, and anyone holding
 * them can later check that history up to that position was not rewritten.
 */

export interface CheckpointPaths {
  /** JSON lines, one signed checkpoint a line. */
  readonly file: string;
  /** The ed25519 private key (PKCS#8 PEM, mode 0600). */
  readonly signingKeyFile: string;
}

export const defaultCheckpointPaths = (dataDir: string): CheckpointPaths => ({
  file: join(dataDir, "tamper", "checkpoints.jsonl"),
  signingKeyFile: join(dataDir, "keys", "checkpoint-signing.key"),
});

/** What is signed: exactly these fields, in this order, as compact JSON (UTF-8). */
export interface CheckpointStatement {
  readonly format: 1;
  readonly position: number;
  /** The chain hash (eventHashChain.ts) stored at `position`, hex. */
  readonly chainHash: string;
  readonly signedAt: string;
}

export interface SignedCheckpoint extends CheckpointStatement {
  /** ed25519 signature over signedBytes(statement), base64. */
  readonly signature: string;
}

export function signedBytes(statement: CheckpointStatement): Buffer {
  return Buffer.from(JSON.stringify({ format: statement.format, position: statement.position, chainHash: statement.chainHash, signedAt: statement.signedAt }), "utf8");
}

/** The signing key, created (0600) on first use. */
export function loadOrCreateSigningKey(signingKeyFile: string): KeyObject {
  if (existsSync(signingKeyFile)) return createPrivateKey(readFileSync(signingKeyFile));
  mkdirSync(dirname(signingKeyFile), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ed25519");
  // `wx`: two processes starting at once must not each write a key and sign with different ones.
  try {
    writeFileSync(signingKeyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return createPrivateKey(readFileSync(signingKeyFile));
    throw error;
  }
  chmodSync(signingKeyFile, 0o600);
  return privateKey;
}

export function publicKeyPem(key: KeyObject): string {
  return createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
}

/** A public key as published (SPKI PEM), to check checkpoints without the signing key. */
export function readPublicKey(pem: string | Buffer): KeyObject {
  return createPublicKey(pem);
}

export function signCheckpoint(key: KeyObject, head: { readonly position: number; readonly chainHash: Buffer }, signedAt: Date): SignedCheckpoint {
  const statement: CheckpointStatement = { format: 1, position: head.position, chainHash: head.chainHash.toString("hex"), signedAt: signedAt.toISOString() };
  return { ...statement, signature: sign(null, signedBytes(statement), key).toString("base64") };
}

export function signatureHolds(publicKey: KeyObject, checkpoint: SignedCheckpoint): boolean {
  try {
    return verify(null, signedBytes(checkpoint), publicKey, Buffer.from(checkpoint.signature, "base64"));
  } catch {
    return false;
  }
}

/** Appends and fsyncs one checkpoint: a published checkpoint must still be on disk after a power loss. */
export function appendCheckpoint(file: string, checkpoint: SignedCheckpoint): void {
  appendCheckpointLine(file, checkpoint);
}

/** Appends and fsyncs one JSON line of any checkpoint format (the EventStoreDB one too, src/tamperEvidence/esdb*.ts). */
export function appendCheckpointLine(file: string, checkpoint: object): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(checkpoint)}\n`);
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export type CheckpointLine = { readonly line: number; readonly checkpoint: SignedCheckpoint } | { readonly line: number; readonly unreadable: string };

export function readCheckpoints(file: string): readonly CheckpointLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => text.trim() !== "")
    .map(({ text, line }): CheckpointLine => {
      try {
        const parsed = JSON.parse(text) as SignedCheckpoint;
        const wellFormed = parsed.format === 1 && Number.isSafeInteger(parsed.position) && typeof parsed.chainHash === "string" && typeof parsed.signedAt === "string" && typeof parsed.signature === "string";
        return wellFormed ? { line, checkpoint: parsed } : { line, unreadable: "a field is missing or has the wrong type" };
      } catch (error) {
        return { line, unreadable: `not JSON (${String(error)})` };
      }
    });
}

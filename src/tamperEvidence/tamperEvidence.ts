import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import type { ChainHead } from "../eventStore/sqliteEventStore.js";
import {
  appendCheckpoint,
  defaultCheckpointPaths,
  loadOrCreateSigningKey,
  publicKeyPem,
  readCheckpoints,
  readPublicKey,
  signCheckpoint,
  type CheckpointPaths,
  type SignedCheckpoint,
} from "./signedCheckpoints.js";
import { walkHashChain, type TamperReport } from "./walkHashChain.js";

/** Tamper evidence of one embedded data directory: verify its log, sign checkpoints, print the public key. */

export interface TamperEvidenceSettings {
  readonly dataDir: string;
  /** Overrides of where checkpoints and the signing key live (default under the data directory). */
  readonly paths?: Partial<CheckpointPaths>;
}

/** Events between two automatic checkpoints (docs/compliance.md). */
export const defaultCheckpointInterval = 10_000;

export const logFileOf = (dataDir: string) => join(dataDir, "events.db");

export function checkpointPathsOf(settings: TamperEvidenceSettings): CheckpointPaths {
  return { ...defaultCheckpointPaths(settings.dataDir), ...settings.paths };
}

/**
 * Walks the log and checks the checkpoints. The public key is the one given (an outsider's published copy),
 * else the one of the signing key on this machine; with neither, checkpoints are counted but not checked.
 */
export async function verifyTamperEvidence(
  settings: TamperEvidenceSettings,
  options: { readonly publicKeyPem?: string; readonly onProgress?: (events: number, head: number) => void } = {},
): Promise<TamperReport> {
  const paths = checkpointPathsOf(settings);
  const publicKey: KeyObject | undefined = options.publicKeyPem
    ? readPublicKey(options.publicKeyPem)
    : existsSync(paths.signingKeyFile)
      ? readPublicKey(publicKeyPem(loadOrCreateSigningKey(paths.signingKeyFile)))
      : undefined;
  return walkHashChain(logFileOf(settings.dataDir), {
    checkpoints: readCheckpoints(paths.file),
    ...(publicKey ? { publicKey } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

/** The chain head as stored now, read-only (a server may be writing). */
export function readChainHead(logFile: string): ChainHead | undefined {
  if (!existsSync(logFile)) throw new Error(`no event log at ${logFile}: is this a memledger data directory?`);
  const db = new Database(logFile, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare<[], { position: number; chain_hash: Buffer | null }>("SELECT position, chain_hash FROM events ORDER BY position DESC LIMIT 1").get();
    if (!row) return undefined;
    if (!row.chain_hash) throw new Error(`the event at log position ${row.position} has no chain hash: start the server once so it chains the events stored before hash chains, then sign`);
    return { position: row.position, chainHash: row.chain_hash };
  } finally {
    db.close();
  }
}

/** Signs the current head now (on demand) and appends the checkpoint. */
export function checkpointNow(settings: TamperEvidenceSettings, now: Date = new Date()): SignedCheckpoint {
  const head = readChainHead(logFileOf(settings.dataDir));
  if (!head) throw new Error("the log is empty: there is no history to sign yet");
  const paths = checkpointPathsOf(settings);
  const checkpoint = signCheckpoint(loadOrCreateSigningKey(paths.signingKeyFile), head, now);
  appendCheckpoint(paths.file, checkpoint);
  return checkpoint;
}

export function checkpointPublicKey(settings: TamperEvidenceSettings): string {
  return publicKeyPem(loadOrCreateSigningKey(checkpointPathsOf(settings).signingKeyFile));
}

/** The latest checkpoint written, if any (unreadable lines are skipped: verify reports them). */
export function latestCheckpoint(settings: TamperEvidenceSettings): SignedCheckpoint | undefined {
  let latest: SignedCheckpoint | undefined;
  for (const entry of readCheckpoints(checkpointPathsOf(settings).file)) {
    if ("checkpoint" in entry && (!latest || entry.checkpoint.position >= latest.position)) latest = entry.checkpoint;
  }
  return latest;
}

/**
 * The event store's `afterCommit` hook: signs a checkpoint whenever `every` events were committed since the
 * last one. The key is loaded once, on the first checkpoint. Errors surface to the store, which ignores them
 * (an append already durable must not fail); the next commit past the interval tries again.
 */
export function periodicCheckpoints(settings: TamperEvidenceSettings & { readonly every?: number; readonly now?: () => Date }): (head: ChainHead) => void {
  const every = settings.every ?? defaultCheckpointInterval;
  const paths = checkpointPathsOf(settings);
  let lastSigned: number | undefined;
  let key: KeyObject | undefined;
  return (head) => {
    lastSigned ??= latestCheckpoint(settings)?.position ?? 0;
    if (head.position - lastSigned < every) return;
    key ??= loadOrCreateSigningKey(paths.signingKeyFile);
    appendCheckpoint(paths.file, signCheckpoint(key, head, settings.now?.() ?? new Date()));
    lastSigned = head.position;
  };
}


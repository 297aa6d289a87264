import type { ChainHead } from "../eventStore/sqliteEventStore.js";
import { periodicCheckpoints, type TamperEvidenceSettings } from "./tamperEvidence.js";

/** How a ledger signs checkpoints of its embedded log (MemLedgerOptions.tamperEvidence). */
export interface TamperEvidenceOptions {
  /** Sign a checkpoint once this many events were appended since the last (default 10,000); `false`: only on demand. */
  readonly checkpointEvery?: number | false;
  /** The ed25519 signing key (default <dataDir>/keys/checkpoint-signing.key, created 0600). */
  readonly signingKeyFile?: string;
  /** The signed checkpoints, JSON lines (default <dataDir>/tamper/checkpoints.jsonl). */
  readonly checkpointFile?: string;
}

export function tamperEvidenceSettings(options: { readonly dataDir: string; readonly tamperEvidence?: TamperEvidenceOptions }): TamperEvidenceSettings {
  const t = options.tamperEvidence ?? {};
  return { dataDir: options.dataDir, paths: { ...(t.signingKeyFile ? { signingKeyFile: t.signingKeyFile } : {}), ...(t.checkpointFile ? { file: t.checkpointFile } : {}) } };
}

/** The embedded store's `afterCommit` option, unless automatic checkpoints are off. */
export function automaticCheckpoints(options: { readonly dataDir: string; readonly tamperEvidence?: TamperEvidenceOptions }): { readonly afterCommit?: (head: ChainHead) => void } {
  const every = options.tamperEvidence?.checkpointEvery;
  if (every === false) return {};
  return { afterCommit: periodicCheckpoints({ ...tamperEvidenceSettings(options), ...(every !== undefined ? { every } : {}) }) };
}

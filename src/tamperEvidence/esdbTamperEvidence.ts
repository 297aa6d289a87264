import { EventStoreDBClient } from "@eventstore/db-client";
import { existsSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import { redactUrl } from "../redactUrl.js";
import { appendCheckpointLine, defaultCheckpointPaths, loadOrCreateSigningKey, publicKeyPem, readPublicKey, type CheckpointPaths } from "./signedCheckpoints.js";
import type { TamperReport } from "./walkHashChain.js";
import { esdbAllLogReader } from "./esdbAllLogReader.js";
import { comparePositions } from "./allLogReader.js";
import { defaultEsdbCheckpointFile, esdbSignatureHolds, readEsdbCheckpoints, signEsdbCheckpoint, type EsdbSignedCheckpoint } from "./esdbCheckpoints.js";
import { foldRunningHash, walkEsdbChain, type EsdbChainHead } from "./esdbChainWalk.js";

/** Tamper evidence of an EventStoreDB/KurrentDB log: verify `$all`, sign checkpoints, print the public key. */

export interface EsdbTamperEvidenceSettings {
  /** Connection string of the server (`esdb://…`). */
  readonly url: string;
  /** The ledger's data directory: where the signing key and the checkpoints live by default. */
  readonly dataDir: string;
  readonly paths?: Partial<CheckpointPaths>;
  /** A client to use instead of connecting to `url` (tests). */
  readonly client?: EventStoreDBClient;
}

/** What the report calls the log: never the connection string, which may carry credentials. */
export const esdbLogName = "EventStoreDB $all";

export function esdbCheckpointPathsOf(settings: EsdbTamperEvidenceSettings): CheckpointPaths {
  return { ...defaultCheckpointPaths(settings.dataDir), file: defaultEsdbCheckpointFile(settings.dataDir), ...settings.paths };
}

/** Runs `work` with a client: the one given, or a fresh connection closed afterwards. */
async function withClient<A>(settings: EsdbTamperEvidenceSettings, work: (client: EventStoreDBClient) => Promise<A>): Promise<A> {
  if (settings.client) return work(settings.client);
  const client = EventStoreDBClient.connectionString(settings.url);
  try {
    return await work(client);
  } catch (error) {
    throw new Error(`EventStoreDB at ${redactUrl(settings.url)}: reading $all for tamper evidence failed: ${error instanceof Error ? error.message : String(error)}; check the server is up and EVENTSTORE_URL`, { cause: error });
  } finally {
    await client.dispose().catch(() => undefined);
  }
}

/** The public key given (an outsider's published copy), else the local signing key's; undefined with neither. */
function publicKeyFor(paths: CheckpointPaths, given: string | undefined): KeyObject | undefined {
  if (given) return readPublicKey(given);
  return existsSync(paths.signingKeyFile) ? readPublicKey(publicKeyPem(loadOrCreateSigningKey(paths.signingKeyFile))) : undefined;
}

export async function verifyEsdbTamperEvidence(
  settings: EsdbTamperEvidenceSettings,
  options: { readonly publicKeyPem?: string; readonly onProgress?: (position: number, head: number) => void } = {},
): Promise<TamperReport> {
  const paths = esdbCheckpointPathsOf(settings);
  const publicKey = publicKeyFor(paths, options.publicKeyPem);
  const { report } = await withClient(settings, (client) =>
    walkEsdbChain(esdbAllLogReader(client), {
      checkpoints: readEsdbCheckpoints(paths.file),
      name: esdbLogName,
      ...(publicKey ? { publicKey } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }),
  );
  return report;
}

/**
 * Signs the running hash at the newest user event of `$all` and appends the checkpoint. Nothing stores the
 * running hash, so it is folded on from the newest checkpoint this key signed (its signature checked), or
 * from the start of `$all` for the first one: a checkpoint reads what was written since the last.
 */
export async function esdbCheckpointNow(settings: EsdbTamperEvidenceSettings, now: Date = new Date()): Promise<EsdbSignedCheckpoint> {
  const paths = esdbCheckpointPathsOf(settings);
  const key = loadOrCreateSigningKey(paths.signingKeyFile);
  const start = newestOwnCheckpoint(paths.file, readPublicKey(publicKeyPem(key)));
  const head = await withClient(settings, (client) => foldRunningHash(esdbAllLogReader(client), start));
  if (!head) throw new Error("the EventStoreDB log holds no user events yet: there is no history to sign");
  const checkpoint = signEsdbCheckpoint(key, head, now);
  appendCheckpointLine(paths.file, checkpoint);
  return checkpoint;
}

/** The newest checkpoint in the file whose signature this key's public half verifies: a start the key vouches for. */
function newestOwnCheckpoint(file: string, publicKey: KeyObject): EsdbChainHead | undefined {
  let newest: EsdbChainHead | undefined;
  for (const entry of readEsdbCheckpoints(file)) {
    if (!("checkpoint" in entry) || !esdbSignatureHolds(publicKey, entry.checkpoint)) continue;
    const position = { commit: BigInt(entry.checkpoint.position), prepare: BigInt(entry.checkpoint.prepare) };
    if (!newest || comparePositions(position, newest.position) > 0) newest = { position, chainHash: Buffer.from(entry.checkpoint.chainHash, "hex") };
  }
  return newest;
}

export function esdbCheckpointPublicKey(settings: EsdbTamperEvidenceSettings): string {
  return publicKeyPem(loadOrCreateSigningKey(esdbCheckpointPathsOf(settings).signingKeyFile));
}

import { Data, Effect } from "effect";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { KeyRing } from "../crypto/keyRing.js";
import type { EventStorePort } from "../eventStore/eventStorePort.js";
import { openSqliteEventStore, type Durability } from "../eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../keyStore/sqliteKeyStore.js";

/**
 * Where a log is: an embedded data directory (its `events.db`, as
 * openMemLedger lays it out) or an EventStoreDB/KurrentDB connection string.
 */
export type LogEndpoint =
  | { readonly kind: "sqlite"; readonly dataDir: string; readonly logFile: string }
  | { readonly kind: "eventstoredb"; readonly url: string; readonly given: string };

export class LogEndpointError extends Data.TaggedError("LogEndpointError")<{ readonly message: string }> {}

/** The data directory layout of openMemLedger (src/app/memLedger.ts). */
export const logFileOf = (dataDir: string) => join(dataDir, "events.db");
export const keyStoreFileOf = (dataDir: string) => join(dataDir, "keys", "keys.db");

const schemes = /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kurrent|kurrent\+discover):\/\//i;

export function parseLogEndpoint(spec: string): LogEndpoint {
  const trimmed = spec.trim();
  if (trimmed === "") throw new LogEndpointError({ message: "an empty log location: give a data directory or an esdb:// / kurrentdb:// connection string" });
  const scheme = schemes.exec(trimmed);
  if (scheme) {
    // The client speaks esdb://; KurrentDB's own scheme names the same protocol.
    const url = trimmed.replace(schemes, (_m, s: string) => `${s.toLowerCase().replace(/^kurrent(db)?/, "esdb")}://`);
    return { kind: "eventstoredb", url, given: trimmed };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new LogEndpointError({ message: `${redact(trimmed)} is neither a data directory nor an esdb:// or kurrentdb:// connection string` });
  }
  const path = resolve(trimmed);
  // A path to the log file itself is accepted too.
  if (existsSync(path) && statSync(path).isFile()) return { kind: "sqlite", dataDir: resolve(path, ".."), logFile: path };
  return { kind: "sqlite", dataDir: path, logFile: logFileOf(path) };
}

/** For messages: a connection string with its user name and password masked. */
export function describeEndpoint(endpoint: LogEndpoint): string {
  return endpoint.kind === "sqlite" ? `embedded log ${endpoint.logFile}` : `EventStoreDB/KurrentDB at ${redact(endpoint.given)}`;
}

function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//***@");
}

export function sameEndpoint(a: LogEndpoint, b: LogEndpoint): boolean {
  if (a.kind === "sqlite" && b.kind === "sqlite") return a.logFile === b.logFile;
  if (a.kind === "eventstoredb" && b.kind === "eventstoredb") return a.url === b.url;
  return false;
}

export interface OpenEndpointOptions {
  /** A source must exist: opening a mistyped data directory would otherwise create an empty log. */
  readonly mustExist: boolean;
  readonly durability?: Durability;
  /**
   * EventStoreDB only: how many of a stream's newest events an append scans for a retried batch
   * (the adapter's default when unset). A copy target can use 0: the copy checks the target before
   * writing and appends with exact expected revisions, which the server itself dedupes on a retry.
   */
  readonly idempotencyWindow?: number;
}

export async function openLogEndpoint(endpoint: LogEndpoint, options: OpenEndpointOptions): Promise<EventStorePort> {
  if (endpoint.kind === "sqlite") {
    if (options.mustExist && !existsSync(endpoint.logFile)) {
      throw new LogEndpointError({ message: `no event log at ${endpoint.logFile}: is ${endpoint.dataDir} a memledger data directory?` });
    }
    try {
      return openSqliteEventStore({ path: endpoint.logFile, durability: options.durability ?? "full" });
    } catch (cause) {
      throw new LogEndpointError({ message: `cannot open the embedded log ${endpoint.logFile}: ${cause instanceof Error ? cause.message : String(cause)}` });
    }
  }
  const { openEventStoreDbEventStore } = await import("../eventStore/eventStoreDbEventStore.js");
  try {
    return openEventStoreDbEventStore({ url: endpoint.url, ...(options.idempotencyWindow !== undefined ? { idempotencyWindow: options.idempotencyWindow } : {}) });
  } catch (cause) {
    throw new LogEndpointError({ message: `cannot connect to ${describeEndpoint(endpoint)}: ${cause instanceof Error ? cause.message : String(cause)}` });
  }
}

/** The key ring of a data directory's key store, read-only in use; undefined when the directory has no key store. */
export function openDataDirKeyRing(dataDir: string): { readonly keyRing: KeyRing; readonly file: string; close(): Promise<void> } | undefined {
  const file = keyStoreFileOf(dataDir);
  if (!existsSync(file)) return undefined;
  const store = openSqliteKeyStore(file);
  return { keyRing: new KeyRing(store), file, close: () => Effect.runPromise(store.close()) };
}

import { Effect } from "effect";
import { existsSync } from "node:fs";
import type { EventStorePort } from "../eventStore/eventStorePort.js";
import { copyEventLog, type CopyEventLogResult, type CopyProgress } from "../migration/copyEventLog.js";
import { describeEndpoint, keyStoreFileOf, LogEndpointError, openDataDirKeyRing, openLogEndpoint, parseLogEndpoint, sameEndpoint, type LogEndpoint } from "../migration/logEndpoint.js";
import { LogCopyError } from "../migration/logEvents.js";
import { verifyCopiedLog, type VerifyReport } from "../migration/verifyEventLog.js";
import { startProgress } from "./progress.js";

/** `memledger log copy`: the CLI side of copyEventLog / verifyCopiedLog. */

export interface LogCopyCommandOptions {
  readonly from: string;
  readonly to: string;
  readonly verify?: boolean;
  readonly batchSize?: number;
  /** A data directory whose key store unseals content for the verification's fold. */
  readonly keys?: string;
  readonly allowOtherStreams?: boolean;
  readonly json: boolean;
  /** Runs between the copy and the verification; tests use it to change a log meanwhile, as a live writer would. */
  readonly beforeVerify?: () => Promise<void>;
}

export interface LogCopyIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** Exit codes, also in the command's help. */
export const logCopyExit = { ok: 0, mismatch: 1, interrupted: 130 } as const;

const shownMismatches = 20;

export async function runLogCopyCommand(options: LogCopyCommandOptions, io: LogCopyIo): Promise<number> {
  const source = parseLogEndpoint(options.from);
  const target = parseLogEndpoint(options.to);
  if (sameEndpoint(source, target)) throw new LogEndpointError({ message: `--from and --to are the same log (${describeEndpoint(source)})` });
  const otherStreams = options.allowOtherStreams ? "ignore" : "refuse";

  const opened: EventStorePort[] = [];
  const abort = new AbortController();
  const onSigint = () => {
    io.err("\ninterrupt: stopping after the current batch (run the same command again to resume)\n");
    abort.abort();
  };
  process.once("SIGINT", onSigint);
  try {
    const from = await openLogEndpoint(source, { mustExist: true });
    opened.push(from);
    // An embedded target is written with synchronous=NORMAL: the copy is resumable, and closing the log checkpoints (and syncs) it.
    // An EventStoreDB target skips the adapter's per-append retry scan: the copy checked the target first and appends with exact revisions.
    const to = await openLogEndpoint(target, { mustExist: false, durability: "normal", idempotencyWindow: 0 });
    opened.push(to);

    io.err(`copying ${describeEndpoint(source)} -> ${describeEndpoint(target)}\n`);
    const progress = throttledProgress(io);
    let copy: CopyEventLogResult;
    try {
      copy = await copyEventLog({ from, to, signal: abort.signal, otherStreams, onProgress: progress, ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}) });
    } catch (error) {
      if (!(error instanceof LogCopyError && error.kind === "interrupted")) throw error;
      io.err(`${error.message}\n`);
      return logCopyExit.interrupted;
    }

    let report: VerifyReport | undefined;
    if (options.verify) {
      await options.beforeVerify?.();
      const keys = keyRingFor(options.keys, source, target);
      if (keys.problem) io.err(`${keys.problem}\n`);
      io.err("verifying: reading both logs, comparing streams, global order and folded state\n");
      try {
        report = await verifyCopiedLog(from, to, { otherStreams, ...(keys.ring ? { keyRing: keys.ring.keyRing } : {}), ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}) });
      } finally {
        await keys.ring?.close();
      }
    }

    const reminder = keyStoreReminder(source, target);
    if (options.json) {
      io.out(`${JSON.stringify({ source: describeEndpoint(source), target: describeEndpoint(target), copy, ...(report ? { verify: report } : {}), ...(reminder ? { keyStore: reminder } : {}) }, null, 2)}\n`);
    } else {
      io.out(`${formatCopy(copy)}\n`);
      if (report) io.out(`${formatVerify(report)}\n`);
      if (reminder) io.out(`${reminder}\n`);
    }
    return report && !report.ok ? logCopyExit.mismatch : logCopyExit.ok;
  } finally {
    process.removeListener("SIGINT", onSigint);
    for (const store of opened.reverse()) await Effect.runPromise(store.close());
  }
}

/** On a terminal a bar (src/cli/progress.ts); otherwise one progress line a second at most, on stderr (stdout stays for the result). */
function throttledProgress(io: LogCopyIo): (p: CopyProgress) => void {
  if (process.stderr.isTTY === true) {
    const bar = startProgress("log copy", { err: io.err, interactive: true, unit: "positions" });
    return (p) => {
      bar.update(p.position, Math.max(p.sourceHead, p.position), p.phase === "checking" ? "checking the target" : "copying");
      if (p.phase === "done") bar.stop();
    };
  }
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (p.phase !== "done" && now - last < 1_000) return;
    last = now;
    const rate = p.seconds > 0 ? Math.round(p.events / p.seconds) : 0;
    const verb = p.phase === "checking" ? "checked (already in the target)" : "done";
    io.err(`  ${p.events} events ${verb}: ${p.copied} copied, ${p.skipped} already there, ${p.streams} streams, source position ${p.position}/${p.sourceHead}, ${rate} events/s\n`);
  };
}

function formatCopy(c: CopyEventLogResult): string {
  const rate = c.seconds > 0 ? Math.round(c.events / c.seconds) : 0;
  return `copied ${c.events} events in ${c.streams} streams: ${c.copied} written now, ${c.skipped} already in the target (${c.appends} appends, ${c.seconds.toFixed(1)} s, ${rate} events/s)`;
}

function formatVerify(r: VerifyReport): string {
  const f = r.folded;
  const folds = `${f.memoryUnits} memory units (${f.unsealed} unsealed, ${f.erased} erased${f.keyMissing > 0 ? `, ${f.keyMissing} without their key` : ""}) and ${f.cubes} cubes folded on both sides`;
  const lines = r.ok
    ? [`verified: ${r.streams} streams and ${r.events} events are the same in both logs, in the same order; ${folds}, to the same state (${r.seconds.toFixed(1)} s)`]
    : [
        `VERIFICATION FAILED: ${r.mismatches.length + r.mismatchesOmitted} differences (source ${r.streams} streams / ${r.events} events, target ${r.targetStreams} / ${r.targetEvents}; ${folds})`,
        ...r.mismatches.slice(0, shownMismatches).map((m) => `  - [${m.kind}] ${m.message}`),
        ...(r.mismatches.length + r.mismatchesOmitted > shownMismatches ? [`  … and ${r.mismatches.length + r.mismatchesOmitted - shownMismatches} more (--json lists up to 100)`] : []),
      ];
  return [...lines, ...r.notes.map((n) => `note: ${n}`)].join("\n");
}

/** The key store that unseals content for the verification: --keys, else the source's data directory, else the target's. */
function keyRingFor(keysDir: string | undefined, source: LogEndpoint, target: LogEndpoint): { ring?: ReturnType<typeof openDataDirKeyRing>; problem?: string } {
  if (keysDir !== undefined) {
    const ring = openDataDirKeyRing(keysDir);
    return ring ? { ring } : { problem: `no key store at ${keyStoreFileOf(keysDir)}: the verification folds memories without unsealing their content` };
  }
  for (const endpoint of [source, target]) {
    if (endpoint.kind !== "sqlite") continue;
    const ring = openDataDirKeyRing(endpoint.dataDir);
    if (ring) return { ring };
  }
  return { problem: "no key store found (give --keys <data dir>): the verification folds memories without unsealing their content" };
}

/** The log holds content sealed with keys kept outside it, in the data directory's key store: say so when the target has none yet. */
function keyStoreReminder(source: LogEndpoint, target: LogEndpoint): string | undefined {
  const from = source.kind === "sqlite" ? keyStoreFileOf(source.dataDir) : "the key store of the data directory used with the source (keys/keys.db)";
  if (target.kind === "sqlite") {
    if (existsSync(keyStoreFileOf(target.dataDir))) return undefined;
    return `key store: memory content in the log is sealed with keys kept outside it; copy ${from} to ${keyStoreFileOf(target.dataDir)} before serving from ${target.dataDir}`;
  }
  return `key store: memory content in the log is sealed with keys kept outside it; run the server on EventStoreDB with a MEMLEDGER_DATA_DIR whose keys/keys.db is ${from}`;
}

import { existsSync } from "node:fs";
import { clearDamageMarker, damageMarkerOf, writeDamageMarker } from "../eventStore/damageMarker.js";
import { checkEventLog, type LogCheckReport } from "../migration/checkEventLog.js";
import { LogEndpointError, parseLogEndpoint } from "../migration/logEndpoint.js";

/** `memledger log verify`: the CLI side of checkEventLog. */

export interface LogVerifyIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** Exit codes, also in the command's help. */
export const logVerifyExit = { intact: 0, damaged: 1 } as const;

const shownProblems = 20;

export function runLogVerifyCommand(options: { readonly dataDir: string; readonly json: boolean }, io: LogVerifyIo): number {
  const endpoint = parseLogEndpoint(options.dataDir);
  if (endpoint.kind !== "sqlite") throw new LogEndpointError({ message: "log verify checks an embedded log (a data directory); EventStoreDB/KurrentDB keep their own checksums" });
  if (!existsSync(endpoint.logFile)) throw new LogEndpointError({ message: `no event log at ${endpoint.logFile}: is ${endpoint.dataDir} a memledger data directory?` });
  io.err(`verifying ${endpoint.logFile}: SQLite's integrity check, then every event's checksum in log order\n`);
  let lastShown = performance.now();
  const report = checkEventLog(endpoint.logFile, {
    onProgress: (events) => {
      if (performance.now() - lastShown < 1_000) return;
      lastShown = performance.now();
      io.err(`  ${events} events checked\n`);
    },
  });
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  // The marker is what keeps a server from taking writes on this log after a restart: set it on damage, lift it on a clean bill.
  if (report.ok) {
    if (clearDamageMarker(endpoint.logFile)) io.err(`removed ${damageMarkerOf(endpoint.logFile)}: the server takes writes again at its next start\n`);
  } else {
    const first = report.firstBad;
    writeDamageMarker(endpoint.logFile, {
      finding: `memledger log verify found ${report.problems.length + report.problemsOmitted} problems; the first: ${first?.message ?? "see its report"}`,
      ...(first?.streamId !== undefined ? { streamId: first.streamId } : {}),
      ...(first?.revision !== undefined ? { revision: first.revision } : {}),
      ...(first?.position !== undefined ? { position: first.position } : {}),
      foundAt: new Date().toISOString(),
    });
  }
  return report.ok ? logVerifyExit.intact : logVerifyExit.damaged;
}

function formatReport(r: LogCheckReport): string {
  const counted = `${r.events} events in ${r.streams} streams${r.unchecked > 0 ? ` (${r.unchecked} written before checksums, not checked: start the server once to give them checksums)` : ""}`;
  if (r.ok) return `intact: ${r.file}: ${counted}, every page sound and every checksum matching (${r.seconds.toFixed(1)} s)`;
  const total = r.problems.length + r.problemsOmitted;
  return [
    `DAMAGED: ${r.file}: ${total} problem${total === 1 ? "" : "s"} (${counted} read back, ${r.seconds.toFixed(1)} s)`,
    ...(r.firstBad ? [`first damaged: ${r.firstBad.message}`] : []),
    ...r.problems.slice(0, shownProblems).map((p) => `  - [${p.kind}] ${p.message}`),
    ...(total > shownProblems ? [`  … and ${total - shownProblems} more (--json lists up to 100)`] : []),
    "what to do: stop every process using this data directory; restore events.db from the last backup taken before the damage",
    "  (docs/operations.md, \"A damaged event log\"); without a backup, `memledger log copy --from <this dir> --to <new dir>` saves the events before the first damaged one.",
  ].join("\n");
}

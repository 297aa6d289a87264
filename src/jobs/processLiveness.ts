import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** Which process holds something: enough to tell later whether that very process still runs. */
export interface ProcessStamp {
  readonly host: string;
  readonly pid: number;
  /** When the OS started it (`<boot id>:<start ticks>` on Linux); null where the OS does not say. */
  readonly start: string | null;
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

const hasProcfs = readText("/proc/self/stat") !== undefined;
const bootId = readText("/proc/sys/kernel/random/boot_id")?.trim() ?? "boot";

/**
 * The start time of a running process, null when it runs but the OS does not say
 * when it started, undefined when no process has that pid.
 */
export function processStart(pid: number): string | null | undefined {
  if (hasProcfs) {
    const stat = readText(`/proc/${pid}/stat`);
    if (stat === undefined) return undefined;
    // Fields 3 (state) and 22 (starttime); the command name in field 2 may hold spaces, so count from its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A zombie (killed, not yet reaped by its parent) runs nothing any more.
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    const ticks = fields[19];
    return ticks === undefined ? null : `${bootId}:${ticks}`;
  }
  try {
    process.kill(pid, 0);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? null : undefined;
  }
}

export function currentProcess(): ProcessStamp {
  return { host: hostname(), pid: process.pid, start: processStart(process.pid) ?? null };
}

/**
 * Whether the stamped process still runs: "gone" when its pid is free or now
 * belongs to a process that started at another time, "running" when it is there,
 * "unknown" when it ran on another host (then only its heartbeats can tell).
 */
export function processState(owner: ProcessStamp, here: ProcessStamp = currentProcess()): "running" | "gone" | "unknown" {
  if (owner.host !== here.host) return "unknown";
  const start = processStart(owner.pid);
  if (start === undefined) return "gone";
  if (owner.start !== null && start !== null && start !== owner.start) return "gone";
  return "running";
}

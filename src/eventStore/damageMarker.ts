import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

/**
 * Damage found once is remembered beside the log (`events.db.damaged`, JSON), not in it: a restart must not
 * quietly take writes again on a log whose damage only a read of one stream revealed. `memledger log verify`
 * removes the marker once the (restored) log checks out.
 */
export interface DamageRecord {
  readonly finding: string;
  readonly streamId?: string;
  readonly revision?: number;
  readonly position?: number;
  readonly foundAt: string;
}

export const damageMarkerOf = (logFile: string) => `${logFile}.damaged`;

export function readDamageMarker(logFile: string): DamageRecord | undefined {
  const marker = damageMarkerOf(logFile);
  if (!existsSync(marker)) return undefined;
  try {
    return JSON.parse(readFileSync(marker, "utf8")) as DamageRecord;
  } catch {
    return { finding: `the damage marker ${marker} is there but unreadable`, foundAt: "unknown" };
  }
}

/** Best effort: a log on a read-only or full disk still refuses writes for this process's lifetime. */
export function writeDamageMarker(logFile: string, record: DamageRecord): void {
  try {
    writeFileSync(damageMarkerOf(logFile), `${JSON.stringify(record, null, 2)}\n`);
  } catch {
    // the in-process refusal stands
  }
}

export function clearDamageMarker(logFile: string): boolean {
  const marker = damageMarkerOf(logFile);
  if (!existsSync(marker)) return false;
  rmSync(marker, { force: true });
  return true;
}

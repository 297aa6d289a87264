import type Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { currentProcess, processState, type ProcessStamp } from "./processLiveness.js";

/**
 * Worker identities of one jobs.db. A worker named `worker` is `worker` if that
 * identity is free or its owner is gone, else `worker#2`, `worker#3`, … So a
 * process that restarts after a crash gets its old identity back (and with it the
 * jobs it left running), while two live processes never share one.
 */
export const workerIdentitySchema = `
CREATE TABLE IF NOT EXISTS worker_identities (
  worker_id    TEXT    PRIMARY KEY,
  owner_token  TEXT,
  owner_host   TEXT,
  owner_pid    INTEGER,
  owner_start  TEXT,
  heartbeat_at INTEGER,
  claimed_at   INTEGER
);
`;

interface IdentityRow {
  worker_id: string;
  owner_token: string | null;
  owner_host: string | null;
  owner_pid: number | null;
  owner_start: string | null;
  heartbeat_at: number | null;
}

export interface ClaimedIdentity {
  readonly workerId: string;
  /** Fences this holder's heartbeats: a holder whose identity was taken over stops using it. */
  readonly token: string;
  /** The process that held it before and is gone (crashed or killed); absent when it was new or released cleanly. */
  readonly takenFrom?: ProcessStamp;
}

/** Tokens of identities held in this process: a sibling bus in this process is alive although its pid is ours. */
const heldHere = new Set<string>();

const slotName = (name: string, slot: number) => (slot === 1 ? name : `${name}#${slot}`);
const maxSlots = 10_000;

/**
 * Takes the first identity of `name` that no live process holds. Call inside a
 * write transaction, so two processes starting together cannot take the same one.
 * `staleMs`: an owner on another host is taken for gone once it missed heartbeats for this long.
 */
export function claimWorkerIdentity(db: Database.Database, name: string, at: number, staleMs: number): ClaimedIdentity {
  const here = currentProcess();
  const read = db.prepare<[string], IdentityRow>("SELECT * FROM worker_identities WHERE worker_id = ?");
  const take = db.prepare(
    `INSERT INTO worker_identities (worker_id, owner_token, owner_host, owner_pid, owner_start, heartbeat_at, claimed_at)
     VALUES (@workerId, @token, @host, @pid, @start, @at, @at)
     ON CONFLICT (worker_id) DO UPDATE SET owner_token = @token, owner_host = @host, owner_pid = @pid, owner_start = @start, heartbeat_at = @at, claimed_at = @at`,
  );
  for (let slot = 1; slot <= maxSlots; slot += 1) {
    const workerId = slotName(name, slot);
    const row = read.get(workerId);
    const owner = row ? ownerOf(row) : undefined;
    if (owner && isAlive(row!, owner, here, at, staleMs)) continue;
    const token = randomUUID();
    take.run({ workerId, token, host: here.host, pid: here.pid, start: here.start, at });
    heldHere.add(token);
    return { workerId, token, ...(owner ? { takenFrom: owner } : {}) };
  }
  throw new Error(`all ${maxSlots} worker identities named "${name}" in this jobs.db are held by live processes`);
}

/** Records that the holder is alive; false when another process took the identity over. */
export function heartbeatWorkerIdentity(db: Database.Database, identity: ClaimedIdentity, at: number): boolean {
  return db.prepare("UPDATE worker_identities SET heartbeat_at = ? WHERE worker_id = ? AND owner_token = ?").run(at, identity.workerId, identity.token).changes === 1;
}

/** Frees the identity on a clean stop, so the next process with this name takes it without a liveness check. */
export function releaseWorkerIdentity(db: Database.Database, identity: ClaimedIdentity): void {
  heldHere.delete(identity.token);
  if (!db.open) return;
  db.prepare("UPDATE worker_identities SET owner_token = NULL, owner_host = NULL, owner_pid = NULL, owner_start = NULL WHERE worker_id = ? AND owner_token = ?").run(
    identity.workerId,
    identity.token,
  );
}

function ownerOf(row: IdentityRow): ProcessStamp | undefined {
  if (row.owner_token === null || row.owner_host === null || row.owner_pid === null) return undefined;
  return { host: row.owner_host, pid: row.owner_pid, start: row.owner_start };
}

function isAlive(row: IdentityRow, owner: ProcessStamp, here: ProcessStamp, at: number, staleMs: number): boolean {
  const heartbeatFresh = row.heartbeat_at !== null && at - row.heartbeat_at < staleMs;
  const samePid = owner.host === here.host && owner.pid === here.pid && owner.start === here.start;
  // Our own pid: a bus opened earlier in this process (alive if we hold its token), or one in another worker thread.
  if (samePid) return heldHere.has(row.owner_token!) || heartbeatFresh;
  const state = processState(owner, here);
  return state === "running" || (state === "unknown" && heartbeatFresh);
}

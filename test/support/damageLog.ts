import Database from "better-sqlite3";
import { existsSync, openSync, closeSync, statSync, writeSync } from "node:fs";
import { rng } from "../../bench/stats.js";

/** Damages a closed SQLite file the way a bad disk or a stray write would, bypassing every memledger check. */

export function pageSizeOf(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number(db.pragma("page_size", { simple: true }));
  } finally {
    db.close();
  }
}

/** Overwrites one whole page (1-based) with seeded random bytes. */
export function overwritePage(file: string, page: number, seed = 11): void {
  if (existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0) throw new Error(`${file} still has a write-ahead log: close every connection first`);
  const size = pageSizeOf(file);
  const random = rng(seed);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = Math.floor(random() * 256);
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, size, (page - 1) * size);
  } finally {
    closeSync(fd);
  }
}

/** The page in the middle of the file, as the reproduction picks it. */
export function middlePage(file: string): number {
  return Math.floor(statSync(file).size / pageSizeOf(file) / 2) + 1;
}

/** The events table's leaf pages in key (position) order, and the positions each holds. */
export function eventLeafPages(file: string): { readonly page: number; readonly firstPosition: number; readonly lastPosition: number }[] {
  const db = new Database(file, { readonly: true });
  try {
    // Rows in position order fill the leaves in tree (path) order: count the cells of each.
    const leaves = db.prepare<[], { pageno: number; ncell: number }>("SELECT pageno, ncell FROM dbstat WHERE name = 'events' AND pagetype = 'leaf' ORDER BY path").all();
    const positions = db.prepare("SELECT position FROM events ORDER BY position").pluck().all() as number[];
    let next = 0;
    return leaves.map(({ pageno, ncell }) => {
      const firstPosition = positions[next]!;
      next += ncell;
      return { page: pageno, firstPosition, lastPosition: positions[next - 1]! };
    });
  } finally {
    db.close();
  }
}

/** Flips one bit of one byte of an event's stored data, keeping it valid text, with a direct UPDATE. */
export function flipByteInEventData(file: string, streamId: string, revision: number): { readonly before: string; readonly after: string } {
  const db = new Database(file);
  try {
    const row = db.prepare<[string, number], { data: string }>("SELECT data FROM events WHERE stream_id = ? AND revision = ?").get(streamId, revision);
    if (!row) throw new Error(`no event ${streamId}@${revision}`);
    const bytes = Buffer.from(row.data, "utf8");
    // The last letter or digit: still JSON, so only the checksum can tell.
    let at = bytes.length - 1;
    while (at >= 0 && !/[A-Za-z0-9]/.test(String.fromCharCode(bytes[at]!))) at -= 1;
    bytes[at] = bytes[at]! ^ 0x01;
    const after = bytes.toString("utf8");
    db.prepare("UPDATE events SET data = ? WHERE stream_id = ? AND revision = ?").run(after, streamId, revision);
    return { before: row.data, after };
  } finally {
    db.close();
  }
}

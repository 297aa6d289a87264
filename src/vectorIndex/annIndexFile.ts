import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MAX_LABEL } from "./label.js";

/**
 * On disk an index is two files: hnswlib's own format at `file`, and `<file>.meta.json`
 * describing it. The sidecar is renamed into place last and carries a SHA-256 of the index
 * file, so a crash between the two renames leaves a pair that fails verification (and the
 * caller rebuilds) rather than a sidecar describing the wrong graph.
 */
const FORMAT = "memledger.ann-index/1";

export interface AnnIndexSnapshot {
  readonly dimensions: number;
  readonly watermark: number;
  readonly efSearch: number;
  readonly exactBelow: number;
  /** Live labels. */
  readonly labels: readonly number[];
  /** Removed labels whose tombstoned slot hnswlib still holds. */
  readonly removedLabels: readonly number[];
}

interface SidecarJson extends AnnIndexSnapshot {
  readonly format: typeof FORMAT;
  readonly indexBytes: number;
  readonly indexSha256: string;
}

export const sidecarPathOf = (file: string): string => `${file}.meta.json`;

/** Writes the index through `writeIndex` (hnswlib's writer) and its sidecar, replacing any previous pair. */
export function writeAnnIndexFiles(file: string, snapshot: AnnIndexSnapshot, writeIndex: (path: string) => void): void {
  const temporaryIndex = `${file}.tmp-${process.pid}`;
  const sidecar = sidecarPathOf(file);
  const temporarySidecar = `${sidecar}.tmp-${process.pid}`;
  try {
    writeIndex(temporaryIndex);
    syncFile(temporaryIndex);
    const { bytes, sha256 } = fileDigest(temporaryIndex);
    const json: SidecarJson = { format: FORMAT, ...snapshot, indexBytes: bytes, indexSha256: sha256 };
    writeDurably(temporarySidecar, JSON.stringify(json));
    renameSync(temporaryIndex, file);
    renameSync(temporarySidecar, sidecar);
    syncDirectory(dirname(file));
  } finally {
    rmSync(temporaryIndex, { force: true });
    rmSync(temporarySidecar, { force: true });
  }
}

/**
 * Deletes the temporary files of writes that never finished: a process killed
 * while saving leaves `<file>.tmp-<pid>` holding vectors, possibly of content
 * erased since. Files of a live process (another writer sharing the directory) stay.
 */
export function removeAbandonedTemporaryFiles(file: string): void {
  const directory = dirname(file);
  if (!existsSync(directory)) return;
  const prefixes = [`${basename(file)}.tmp-`, `${basename(sidecarPathOf(file))}.tmp-`];
  for (const name of readdirSync(directory)) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const pid = Number(name.slice(prefix.length));
    // This process writes synchronously, so its own temporary files are leftovers of an earlier process with the same pid.
    if (Number.isInteger(pid) && (pid === process.pid || !isRunning(pid))) rmSync(join(directory, name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The snapshot described by `<file>.meta.json`, once the index file is verified against it;
 * undefined when either file is missing, unreadable, corrupt, or built for other dimensions.
 */
export function readVerifiedSnapshot(file: string, dimensions: number): AnnIndexSnapshot | undefined {
  const sidecar = sidecarPathOf(file);
  if (!existsSync(file) || !existsSync(sidecar)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(sidecar, "utf8"));
  } catch {
    return undefined;
  }
  if (!isSidecarJson(json) || json.dimensions !== dimensions) return undefined;
  try {
    const { bytes, sha256 } = fileDigest(file);
    if (bytes !== json.indexBytes || sha256 !== json.indexSha256) return undefined;
  } catch {
    return undefined;
  }
  const { watermark, efSearch, exactBelow, labels, removedLabels } = json;
  return { dimensions, watermark, efSearch, exactBelow, labels, removedLabels };
}

function isSidecarJson(value: unknown): value is SidecarJson {
  if (typeof value !== "object" || value === null) return false;
  const json = value as Record<string, unknown>;
  return (
    json.format === FORMAT &&
    isNonNegativeInteger(json.dimensions) &&
    typeof json.watermark === "number" &&
    Number.isFinite(json.watermark) &&
    isNonNegativeInteger(json.efSearch) &&
    json.efSearch > 0 &&
    isNonNegativeInteger(json.exactBelow) &&
    isNonNegativeInteger(json.indexBytes) &&
    typeof json.indexSha256 === "string" &&
    isLabelList(json.labels) &&
    isLabelList(json.removedLabels)
  );
}

const isNonNegativeInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0;

const isLabelList = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((label) => isNonNegativeInteger(label) && label <= MAX_LABEL);

function fileDigest(path: string): { bytes: number; sha256: string } {
  const hash = createHash("sha256");
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, "r");
  try {
    let bytes = 0;
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) {
      hash.update(chunk.subarray(0, read));
      bytes += read;
    }
    return { bytes, sha256: hash.digest("hex") };
  } finally {
    closeSync(fd);
  }
}

/** hnswlib writes through a stream it closes without fsync; flushing a read-only descriptor works on POSIX. */
function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeDurably(path: string, text: string): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the renames themselves durable; best effort because some platforms cannot fsync a directory. */
function syncDirectory(directory: string): void {
  try {
    syncFile(directory);
  } catch {
    // Windows and some network filesystems refuse; the files themselves are already synced.
  }
}

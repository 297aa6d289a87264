import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every file under a directory (recursively), as raw bytes: databases, WAL and shm files, index files, leftovers. */
export function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [{ path, bytes: readFileSync(path) }];
  });
}

export function filesContaining(dir: string, needle: Buffer): string[] {
  return filesUnder(dir)
    .filter((f) => f.bytes.includes(needle))
    .map((f) => f.path);
}

/** A value that must not survive an erasure, named so a failure says which one was found. */
export interface Needle {
  readonly name: string;
  readonly bytes: Buffer;
}

export const textNeedle = (text: string): Needle => ({ name: JSON.stringify(text), bytes: Buffer.from(text) });

/** Raw, base64 and hex spellings of secret bytes (a data key, a vector). */
export function binaryNeedles(name: string, bytes: Buffer): Needle[] {
  return [
    { name: `${name} (raw)`, bytes },
    { name: `${name} (base64)`, bytes: Buffer.from(bytes.toString("base64")) },
    { name: `${name} (hex)`, bytes: Buffer.from(bytes.toString("hex")) },
  ];
}

/** "<needle> in <file>" for every needle found in any file under `dir`; [] means none survives. */
export function tracesOf(dir: string, needles: readonly Needle[]): string[] {
  const files = filesUnder(dir);
  return needles.flatMap((needle) => files.filter((f) => f.bytes.includes(needle.bytes)).map((f) => `${needle.name} in ${f.path.slice(dir.length + 1)}`));
}

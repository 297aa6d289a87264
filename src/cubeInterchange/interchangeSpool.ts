import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createInterface } from "node:readline";

/**
 * The lines of an import, kept in a temporary file: the whole file is verified
 * before anything is written, and then read again to import, in constant memory.
 */
export interface Spool {
  lines(): AsyncIterable<string>;
  remove(): Promise<void>;
}

/** Lines (each element one or more whole lines) -> a spool of the non-empty ones. */
export async function spoolLines(input: AsyncIterable<string> | Iterable<string>): Promise<Spool> {
  const dir = await mkdtemp(join(tmpdir(), "memledger-import-"));
  const path = join(dir, "records.jsonl");
  const out = createWriteStream(path);
  try {
    for await (const element of input) {
      for (const line of element.split("\n")) {
        if (line.trim() === "") continue;
        if (!out.write(`${line}\n`)) await once(out, "drain");
      }
    }
  } finally {
    out.end();
    await once(out, "close");
  }
  return {
    lines: async function* () {
      const reader = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
      for await (const line of reader) if (line.trim() !== "") yield line;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

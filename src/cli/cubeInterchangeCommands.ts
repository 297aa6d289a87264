import type { Command } from "commander";
import { Option } from "commander";
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, rename } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip, gunzipSync } from "node:zlib";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import type { ImportReport } from "../cubeInterchange/cubeImport.js";
import type { ExternalImportReport } from "../cubeInterchange/interchangeApi.js";

/** What the commands need from main.ts's program: its leaf builder, its ledger session, and stderr for progress. */
export interface CubeInterchangeCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "interchange">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
  /** Progress lines go to stderr, so stdout stays the result. */
  progress(line: string): void;
}

const gzipped = (path: string) => path.endsWith(".gz");

/** A file's lines, gunzipped when its name ends in .gz. */
async function* fileLines(path: string): AsyncGenerator<string> {
  const raw = createReadStream(path);
  const input = gzipped(path) ? raw.pipe(createGunzip()) : raw;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) yield line;
}

export const formatImportReport = (r: ImportReport): string =>
  [
    `imported cube ${r.sourceCubeId} from instance ${r.sourceInstanceId} as cube ${r.cubeId} (${r.mode}): ${r.units.imported} unit(s) imported, ${r.units.alreadyPresent} already here; ${r.events.appended} event(s) written, ${r.events.alreadyPresent} already here`,
    ...r.remapped.map((m) => `  remapped ${m.kind} ${m.from} -> ${m.to}`),
    ...r.units.diverged.map((id) => `  kept as it is here: unit ${id} changed here since an earlier import`),
    ...(r.embedding.reembedded ? [`  embedded again with ${r.embedding.target} (the file was embedded with ${r.embedding.source ?? "no model"})`] : []),
    ...(r.grantsInFile > 0 ? [`  ${r.grantsInFile} grant(s) in the file, not applied: grant access here with memledger grant cube`] : []),
  ].join("\n");

const formatExternal = (r: ExternalImportReport): string => `cube ${r.cubeId}${r.cubeCreated ? " (new)" : ""}: ${r.imported} memorie(s) imported, ${r.alreadyPresent} already here`;

/** `memledger cube export|import`. */
export function registerCubeInterchangeCommands(cube: Command, host: CubeInterchangeCliHost): void {
  host
    .leaf(cube, "export <cubeId>", "write the cube to a memledger-cube/1 file (JSON Lines with hashes; .gz to compress): its units' whole history, or --current-state; --flat for flat JSONL others read (cube admins)")
    .requiredOption("--out <file>", "the file to write (file.jsonl or file.jsonl.gz)")
    .option("--current-state", "only the units as they are now, no history (for another engine or model)")
    .option("--include-grants", "add the cube's grants (for the record; import does not apply them)")
    .option("--flat", "flat JSONL: { id, text, metadata, created_at, updated_at, tags, memory_type, user_id } of the live units")
    .action((cubeId: string, o: { out: string; currentState?: boolean; includeGrants?: boolean; flat?: boolean }, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, print }) => {
        const lines =
          o.flat === true
            ? await ledger.interchange.exportFlat(cubeId)
            : await ledger.interchange.exportCube(cubeId, { ...(o.currentState === true ? { currentState: true } : {}), ...(o.includeGrants === true ? { includeGrants: true } : {}) });
        // Written beside the target first: a failed export never leaves a half file under the name asked for.
        const partial = `${o.out}.partial`;
        let count = 0;
        const counted = (async function* () {
          for await (const line of lines) {
            count += 1;
            if (count % 1000 === 0) host.progress(`exported ${count} records\n`);
            yield line;
          }
        })();
        const out = createWriteStream(partial);
        await (gzipped(o.out) ? pipeline(Readable.from(counted), createGzip(), out) : pipeline(Readable.from(counted), out));
        await rename(partial, o.out);
        print({ cubeId, file: o.out, records: count }, (r) => `exported cube ${r.cubeId} to ${r.file} (${r.records} records)`);
      }),
    );

  host
    .leaf(cube, "import <file>", "import a cube file (verified whole first; same ids and provenance, or --on-conflict remap; safe to run again after a crash), or --format mem0|jsonl memories as a new cube")
    .addOption(new Option("--format <format>", "memledger (default), mem0 (its export JSON), jsonl ({ text, metadata, created_at } per line)").choices(["memledger", "mem0", "jsonl"]).default("memledger"))
    .addOption(new Option("--on-conflict <how>", "a cube or memory id taken here: fail (default) or remap to a new id").choices(["fail", "remap"]).default("fail"))
    .option("--cube <cubeId>", "mem0/jsonl: an existing cube to add to (default: a new cube)")
    .option("--name <name>", "mem0/jsonl: the new cube's name")
    .option("--progress-every <units>", "a progress line every N units (default 100)")
    .action((file: string, o: { format: "memledger" | "mem0" | "jsonl"; onConflict: "fail" | "remap"; cube?: string; name?: string; progressEvery?: string }, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => {
        if (o.format === "memledger") {
          const every = o.progressEvery !== undefined ? Number(o.progressEvery) : 100;
          if (!Number.isInteger(every) || every < 1) throw new Error(`--progress-every must be a whole number of units above 0, not ${o.progressEvery}`);
          const report = await ledger.interchange.importCube(fileLines(file), { onConflict: o.onConflict, progressEvery: every, onProgress: (p) => host.progress(`imported ${p.units}/${p.ofUnits} units (${p.events} events)\n`) }, ctx);
          print(report, formatImportReport);
          return;
        }
        const bytes = await readFile(file);
        const text = (gzipped(file) ? gunzipSync(bytes) : bytes).toString("utf8");
        print(await ledger.interchange.importExternal({ format: o.format, text, ...(o.cube !== undefined ? { cubeId: o.cube } : {}), ...(o.name !== undefined ? { name: o.name } : {}) }, ctx), formatExternal);
      }),
    );
}


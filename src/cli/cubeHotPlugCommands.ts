import { Option, type Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import type { CubeView } from "../cube/cubeService.js";
import type { TransferReport } from "../cubeTransfer/memoryTransfer.js";
import type { FanOutReport } from "../cubeTransfer/fanOutAdd.js";
import { formatCube, formatCubeList } from "./format.js";
import { repeatable } from "./parse.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface CubeHotPlugCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "cubes" | "memories">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

export function formatHotPlugged(cube: CubeView): string {
  return [formatCube(cube), ...(cube.removed ? [`  removed:        ${cube.removed.at} by ${cube.removed.by} (reinstate with: memledger cube reinstate ${cube.cubeId})`] : [])].join("\n");
}

export function formatTransfer(report: TransferReport): string {
  const { source, copy } = report;
  return [
    `${report.mode === "move" ? "moved" : "copied"} memory ${source.memoryId} (cube ${source.cubeId}) -> ${copy.memoryId} (cube ${copy.cubeId})`,
    `  copy:   ${copy.status}, copied from ${copy.copiedFrom?.memoryId}@${copy.copiedFrom?.revision}`,
    `  source: ${source.status}${source.movedTo ? `, moved to ${source.movedTo.memoryId} in cube ${source.movedTo.cubeId}` : ""}`,
  ].join("\n");
}

export function formatFanOut(report: FanOutReport): string {
  return [
    `${report.succeeded} cube(s) took the add, ${report.failed} refused it`,
    ...report.results.map((r) => ("memoryIds" in r ? `  ${r.cubeId}: ${r.memoryIds.join(", ")}` : `  ${r.cubeId}: ${r.error.error}: ${r.error.message}`)),
  ].join("\n");
}

const subcommand = (program: Command, name: string): Command => {
  const found = program.commands.find((c) => c.name() === name);
  if (!found) throw new Error(`the ${name} command group must be registered before the hot-plug commands`);
  return found;
};

/** `cube rename|update|remove|reinstate|removed`, `memory transfer`, `memory fan-out`. */
export function registerCubeHotPlugCommands(program: Command, { leaf, withLedger }: CubeHotPlugCliHost): void {
  const cube = subcommand(program, "cube");
  const memory = subcommand(program, "memory");

  leaf(cube, "rename <cubeId> <name>", "give a cube a new name (cube admin); its history keeps the old one").action((cubeId: string, name: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.cubes.update(cubeId, { name }, ctx), formatHotPlugged)),
  );

  leaf(cube, "update <cubeId>", "change a cube's name or description (cube admin)")
    .option("--name <name>", "the new name")
    .option("--description <text>", "the new description")
    .addOption(new Option("--clear-description", "remove the description").conflicts("description"))
    .action((cubeId: string, o: { name?: string; description?: string; clearDescription?: boolean }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => {
        const changes = { ...(o.name !== undefined ? { name: o.name } : {}), ...(o.clearDescription ? { description: null } : o.description !== undefined ? { description: o.description } : {}) };
        print(await ledger.cubes.update(cubeId, changes, ctx), formatHotPlugged);
      }),
    );

  leaf(cube, "remove <cubeId>", "remove a cube: soft and reversible (reinstate brings it back); reads, searches and writes refuse it until then").action(
    (cubeId: string, _o: unknown, cmd: Command) => withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.cubes.remove(cubeId, ctx), formatHotPlugged)),
  );

  leaf(cube, "reinstate <cubeId>", "bring a removed cube back, every memory as it was").action((cubeId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.cubes.reinstate(cubeId, ctx), formatHotPlugged)),
  );

  leaf(cube, "removed", "list the tenant's removed cubes").action((_o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print((await ledger.cubes.list(undefined, { includeRemoved: true })).filter((c) => c.removed !== undefined), formatCubeList)),
  );

  leaf(memory, "transfer <memoryId>", "copy a memory to another cube, or move it (the source is archived with a link to the copy)")
    .requiredOption("--to <cubeId>", "the target cube")
    .option("--move", "move instead of copy")
    .action((memoryId: string, o: { to: string; move?: boolean }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.memories.transfer(memoryId, { targetCubeId: o.to, mode: o.move ? "move" : "copy" }, ctx), formatTransfer)),
    );

  leaf(memory, "fan-out <text>", "add one memory to several cubes at once, each independent, reported per cube")
    .requiredOption("--cube <cubeId>", "a target cube (repeatable)", repeatable)
    .option("--tag <tag>", "a tag (repeatable)", repeatable)
    .option("--user <userId>", "user the memory is about")
    .action((text: string, o: { cube: string[]; tag?: string[]; user?: string }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => {
        const item = { text, ...(o.tag ? { tags: o.tag } : {}), ...(o.user !== undefined ? { userId: o.user } : {}) };
        print(await ledger.memories.fanOut({ cubeIds: o.cube, memories: [item] }, ctx), formatFanOut);
      }),
    );
}

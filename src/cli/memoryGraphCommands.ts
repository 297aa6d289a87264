import type { Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { maxNeighbourhoodHops, type MemoryNeighbourhood } from "../memoryGraph/memoryNeighbourhood.js";

/** What the command needs from main.ts's program: its leaf builder and its ledger session. */
export interface MemoryGraphCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(cmd: Command, work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "memories">; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>): Promise<void>;
}

/** Nodes by distance, then each edge: readable in a terminal, the drawing is the viewer's (docs/viewer.md). */
export function formatNeighbourhood(graph: MemoryNeighbourhood): string {
  const lines = [`graph around memory ${graph.memoryId} (cube ${graph.cubeId}), ${graph.hops} hop(s): ${graph.nodes.length} node(s), ${graph.edges.length} edge(s)${graph.truncated ? ", cut short" : ""}`];
  for (const node of graph.nodes) lines.push(`  ${"  ".repeat(node.depth)}${node.id}${node.kind === "memory" || node.label === node.id.slice(node.kind.length + 1) ? "" : ` "${node.label}"`}`);
  if (graph.edges.length > 0) lines.push("edges:", ...graph.edges.map((e) => `  ${e.src} -${e.type}-> ${e.dst}`));
  return lines.join("\n");
}

/** `memledger memory graph <memoryId> [--hops n]`; the memory command group must exist first. */
export function registerMemoryGraphCommands(program: Command, host: MemoryGraphCliHost): void {
  const memory = program.commands.find((c) => c.name() === "memory");
  if (memory === undefined) throw new Error("the memory command group must be registered before memory graph");
  host
    .leaf(memory, "graph <memoryId>", "the graph around a memory: entities and tags it mentions, merges, sources, the units of its cube reached through them")
    .option("--hops <n>", `edges away from the memory, 1 to ${maxNeighbourhoodHops} (default 2)`)
    .action((memoryId: string, o: { hops?: string }, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, print }) => {
        if (o.hops !== undefined && !/^\d+$/.test(o.hops)) throw Object.assign(new Error(`--hops must be a whole number from 1 to ${maxNeighbourhoodHops}, got ${o.hops}`), { _tag: "InvalidRequest" });
        print(await ledger.memories.neighbourhood(memoryId, o.hops !== undefined ? { hops: Number(o.hops) } : {}), formatNeighbourhood);
      }),
    );
}

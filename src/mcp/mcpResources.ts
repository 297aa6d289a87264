import { ResourceTemplate, type McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { LedgerOfCall } from "./mcpTools.js";

/** A cube resource lists at most this many memories (the most recently changed); search_memories finds the rest. */
export const maxMemoriesPerCubeResource = 200;

const json = (uri: URL, value: unknown) => ({ contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(value, null, 2) }] });

/** One template variable as a string (a template variable may match several values). */
const single = (value: string | string[] | undefined, name: string): string => {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === "") throw new Error(`the resource URI names no ${name}`);
  return decodeURIComponent(first);
};

/**
 * Cubes and memories as resources a client can attach to a conversation:
 * `memledger://cubes/{cubeId}` (the cube and its current memories, the newest 200) and
 * `memledger://memories/{memoryId}` (one memory), both JSON. Reads go through
 * the principal's ledger like the tools, so grants and the read audit apply.
 */
export function registerMemoryResources(server: McpServer, ledgerOf: LedgerOfCall): void {
  server.registerResource(
    "cube",
    new ResourceTemplate("memledger://cubes/{cubeId}", {
      list: async (extra) => ({
        resources: (await ledgerOf(extra).cubes.list()).map((cube) => ({
          uri: `memledger://cubes/${encodeURIComponent(cube.cubeId)}`,
          name: cube.name,
          ...(cube.description !== undefined ? { description: cube.description } : {}),
          mimeType: "application/json",
        })),
      }),
    }),
    { title: "Memory cube", description: "A memory cube and its current (activated and frozen) memories, as JSON", mimeType: "application/json" },
    async (uri, variables, extra) => {
      const ledger = ledgerOf(extra);
      const cubeId = single(variables.cubeId, "cubeId");
      const cube = await ledger.cubes.get(cubeId);
      const memories = await ledger.cubes.memories(cubeId, { statuses: ["activated", "frozen"] });
      // A context window, not an export: the newest units, and how many were left out.
      const newest = [...memories].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, maxMemoriesPerCubeResource);
      return json(uri, { cube, memories: newest, ...(memories.length > newest.length ? { leftOut: memories.length - newest.length } : {}) });
    },
  );

  server.registerResource(
    "memory",
    new ResourceTemplate("memledger://memories/{memoryId}", { list: undefined }),
    { title: "Memory", description: "One memory unit with its status, revision and provenance, as JSON", mimeType: "application/json" },
    async (uri, variables, extra) => json(uri, await ledgerOf(extra).memories.get(single(variables.memoryId, "memoryId"))),
  );
}

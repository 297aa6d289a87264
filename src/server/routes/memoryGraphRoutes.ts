import type { FastifyInstance } from "fastify";
import { edgeTypes } from "../../../projections/graph.js";
import { errorResponse, idParam } from "../schemas.js";
import { defaultNeighbourhoodHops, maxNeighbourhoodHops } from "../../memoryGraph/memoryNeighbourhood.js";

const string = { type: "string" } as const;

export const memoryGraphQuery = {
  type: "object",
  additionalProperties: false,
  properties: { hops: { type: "integer", minimum: 1, maximum: maxNeighbourhoodHops, default: defaultNeighbourhoodHops, description: "edges away from the memory" } },
} as const;

export const memoryNeighbourhoodSchema = {
  type: "object",
  required: ["memoryId", "cubeId", "hops", "nodes", "edges", "truncated"],
  additionalProperties: false,
  properties: {
    memoryId: string,
    cubeId: string,
    hops: { type: "integer" },
    nodes: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "kind", "label", "depth"],
        additionalProperties: false,
        properties: { id: string, kind: string, label: string, depth: { type: "integer", minimum: 0 } },
      },
    },
    edges: {
      type: "array",
      items: { type: "object", required: ["type", "src", "dst"], additionalProperties: false, properties: { type: { type: "string", enum: [...edgeTypes] }, src: string, dst: string } },
    },
    truncated: { type: "boolean" },
  },
} as const;

/** GET /memories/:memoryId/graph: the graph read model around a unit, for the viewer's graph view and any client. */
export function memoryGraphRoutes(app: FastifyInstance): void {
  app.get<{ Params: { memoryId: string }; Querystring: { hops?: number } }>(
    "/memories/:memoryId/graph",
    {
      schema: {
        tags: ["memories"],
        summary: "The graph around a memory: the entities it mentions, merges, derivations, and the other units of its cube reached through them",
        params: idParam("memoryId"),
        querystring: memoryGraphQuery,
        response: { 200: memoryNeighbourhoodSchema, 404: errorResponse },
      },
    },
    async (request) => request.ledger.memories.neighbourhood(request.params.memoryId, request.query.hops !== undefined ? { hops: request.query.hops } : {}),
  );
}

import type { FastifyInstance } from "fastify";
import type { SearchRequest } from "../../search/searchRequest.js";
import { errorResponse, idParam } from "../schemas.js";
import { readModelLagSchema, searchBody, searchResponseSchema } from "../searchSchemas.js";

const errors = { 400: errorResponse, 409: errorResponse, 503: errorResponse };
// A cube named in a search that does not exist, or is another tenant's, is a 404 (the same answer for both).
const searchErrors = { ...errors, 404: errorResponse };

export function searchRoutes(app: FastifyInstance): void {
  app.post<{ Body: SearchRequest }>(
    "/search",
    {
      schema: {
        tags: ["search"],
        summary: "Hybrid search (vector + BM25 + graph expansion, fused by RRF, MMR) over one or more cubes, now or as of a moment",
        body: searchBody,
        response: { 200: searchResponseSchema, ...searchErrors },
      },
    },
    async (request) => request.ledger.search(request.body),
  );

  app.get(
    "/read-models",
    { schema: { tags: ["search"], summary: "Each read model's checkpoint and lag behind the log", response: { 200: { type: "object", properties: { readModels: { type: "array", items: readModelLagSchema } } } } } },
    async (request) => ({ readModels: await request.ledger.readModels.lag() }),
  );

  app.post<{ Params: { name: string } }>(
    "/read-models/:name/rebuild",
    {
      schema: {
        tags: ["search"],
        summary: "Rebuild a read model from the log beside the live one, switching when caught up (blocks until done)",
        params: idParam("name"),
        response: { 200: { type: "object", properties: { name: { type: "string" }, events: { type: "integer" }, seconds: { type: "number" } } }, ...errors },
      },
    },
    async (request) => ({ name: request.params.name, ...(await request.ledger.readModels.rebuild(request.params.name)) }),
  );
}

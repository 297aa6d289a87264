import type { FastifyInstance } from "fastify";
import { invalidRequest } from "../../command/appErrors.js";
import { parseIsoInstant } from "../../../domain/time/isoInstant.js";
import type { NewCubeInput } from "../../cube/cubeService.js";
import { requestOptions } from "../requestContext.js";
import { listCubesQuery } from "../cubeHotPlugSchemas.js";
import { branchReportSchema, cubeListSchema, cubeMemoriesSchema, rollbackReportSchema } from "../responseSchemas.js";
import { branchBody, createCubeBody, cubeMemoriesQuery, cubeViewSchema, errorResponse, idParam, rollbackBody } from "../schemas.js";

// 410: the cube is removed (hot-plug) until reinstated.
const errors = { 400: errorResponse, 404: errorResponse, 409: errorResponse, 410: errorResponse };

export function cubeRoutes(app: FastifyInstance): void {
  app.post<{ Body: NewCubeInput }>("/cubes", { schema: { tags: ["cubes"], summary: "Create a MemCube", body: createCubeBody, response: { 201: cubeViewSchema, ...errors } } }, async (request, reply) =>
    reply.status(201).send(await request.ledger.cubes.create(request.body, requestOptions(request))),
  );

  app.get<{ Querystring: { includeRemoved?: boolean } }>(
    "/cubes",
    { schema: { tags: ["cubes"], summary: "List the tenant's cubes (removed ones only with includeRemoved=true)", querystring: listCubesQuery, response: { 200: cubeListSchema } } },
    async (request) => ({ cubes: await request.ledger.cubes.list(undefined, { includeRemoved: request.query.includeRemoved === true }) }),
  );

  app.get<{ Params: { cubeId: string } }>("/cubes/:cubeId", { schema: { tags: ["cubes"], summary: "A cube", params: idParam("cubeId"), response: { 200: cubeViewSchema, ...errors } } }, async (request) =>
    request.ledger.cubes.get(request.params.cubeId),
  );

  app.get<{ Params: { cubeId: string }; Querystring: { asOf?: string; asOfPosition?: number; status?: string } }>(
    "/cubes/:cubeId/memories",
    { schema: { tags: ["cubes"], summary: "The cube's memories, now or as of a past time or log position", params: idParam("cubeId"), querystring: cubeMemoriesQuery, response: { 200: cubeMemoriesSchema, ...errors } } },
    async (request) => {
      const { asOf, asOfPosition, status } = request.query;
      if (asOf !== undefined && asOfPosition !== undefined) throw invalidRequest("asOf", "and asOfPosition cannot both be given");
      // The schema's date-time format already ran the shared parser; this makes the time canonical (UTC).
      const time = asOf !== undefined ? (parseIsoInstant(asOf) ?? asOf) : undefined;
      const at = time !== undefined ? { time } : asOfPosition !== undefined ? { position: asOfPosition } : undefined;
      // The schema's pattern allows only known statuses; a repeated one is asked for once.
      const statuses = status !== undefined ? [...new Set(status.split(","))] : undefined;
      const memories = await request.ledger.cubes.memories(request.params.cubeId, { ...(at ? { asOf: at } : {}), ...(statuses ? { statuses } : {}) });
      return { cubeId: request.params.cubeId, ...(at ? { asOf: at } : {}), memories };
    },
  );

  app.post<{ Params: { cubeId: string }; Body: { toTime: string } }>(
    "/cubes/:cubeId/rollback",
    { schema: { tags: ["cubes"], summary: "Roll the cube back to a past time with compensating events", params: idParam("cubeId"), body: rollbackBody, response: { 200: rollbackReportSchema, ...errors } } },
    async (request) => request.ledger.cubes.rollback(request.params.cubeId, request.body.toTime, requestOptions(request)),
  );

  app.post<{ Params: { cubeId: string }; Body: { asOf: string; cubeId?: string; name?: string } }>(
    "/cubes/:cubeId/branch",
    { schema: { tags: ["cubes"], summary: "Branch the cube as of a past time into a new what-if cube", params: idParam("cubeId"), body: branchBody, response: { 201: branchReportSchema, ...errors } } },
    async (request, reply) => {
      const { asOf, cubeId, name } = request.body;
      const report = await request.ledger.cubes.branch(request.params.cubeId, asOf, { ...(cubeId ? { cubeId } : {}), ...(name ? { name } : {}) }, requestOptions(request));
      return reply.status(201).send(report);
    },
  );
}

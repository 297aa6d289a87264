import type { FastifyInstance } from "fastify";
import type { CubeChanges } from "../../cube/cubeService.js";
import type { TransferRequest } from "../../cubeTransfer/memoryTransfer.js";
import type { FanOutRequest } from "../../cubeTransfer/fanOutAdd.js";
import { requestOptions } from "../requestContext.js";
import { errorResponse, idParam } from "../schemas.js";
import { cubeViewSchema, emptyBody, fanOutBody, fanOutReportSchema, transferBody, transferReportSchema, updateCubeBody } from "../cubeHotPlugSchemas.js";

const errors = { 400: errorResponse, 404: errorResponse, 409: errorResponse, 410: errorResponse };

/**
 * Hot-plug (rename, soft removal, reinstatement), memory transfer between cubes
 * and fan-out adds. Removal is a POST to an action, like archive or disable: it
 * is a reversible state change, not a deletion, so DELETE would promise too much.
 */
export function cubeHotPlugRoutes(app: FastifyInstance): void {
  app.patch<{ Params: { cubeId: string }; Body: CubeChanges }>(
    "/cubes/:cubeId",
    { schema: { tags: ["cubes"], summary: "Rename a cube or change its description (cube admin)", params: idParam("cubeId"), body: updateCubeBody, response: { 200: cubeViewSchema, ...errors } } },
    async (request) => request.ledger.cubes.update(request.params.cubeId, request.body, requestOptions(request)),
  );

  app.post<{ Params: { cubeId: string } }>(
    "/cubes/:cubeId/remove",
    {
      schema: {
        tags: ["cubes"],
        summary: "Remove a cube: soft, audited, reversible; its reads, searches and writes answer 410 until reinstated (cube admin)",
        params: idParam("cubeId"),
        body: emptyBody,
        response: { 200: cubeViewSchema, ...errors },
      },
    },
    async (request) => request.ledger.cubes.remove(request.params.cubeId, requestOptions(request)),
  );

  app.post<{ Params: { cubeId: string } }>(
    "/cubes/:cubeId/reinstate",
    { schema: { tags: ["cubes"], summary: "Reinstate a removed cube with every unit as it was (cube admin)", params: idParam("cubeId"), body: emptyBody, response: { 200: cubeViewSchema, ...errors } } },
    async (request) => request.ledger.cubes.reinstate(request.params.cubeId, requestOptions(request)),
  );

  app.post<{ Params: { memoryId: string }; Body: TransferRequest }>(
    "/memories/:memoryId/transfer",
    {
      schema: {
        tags: ["memories"],
        summary: "Copy or move a memory to another cube, with copiedFrom / movedTo lineage",
        params: idParam("memoryId"),
        body: transferBody,
        response: { 201: transferReportSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await request.ledger.memories.transfer(request.params.memoryId, request.body, requestOptions(request))),
  );

  app.post<{ Body: FanOutRequest }>(
    "/memories/fan-out",
    {
      schema: {
        tags: ["memories"],
        summary: "Add the same memories to several cubes; each cube independent, reported per cube (memoryIds or error)",
        body: fanOutBody,
        response: { 200: fanOutReportSchema, ...errors },
      },
    },
    async (request) => request.ledger.memories.fanOut(request.body, requestOptions(request)),
  );
}

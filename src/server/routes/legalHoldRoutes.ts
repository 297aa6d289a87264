import type { FastifyInstance } from "fastify";
import type { PlaceHoldRequest } from "../../legalHold/holdsApi.js";
import { holdListSchema, holdSchema, listHoldsQuery, pendingErasureListSchema, placeHoldBody, releaseHoldBody } from "../legalHoldSchemas.js";
import { requestOptions } from "../requestContext.js";
import { errorResponse, idParam } from "../schemas.js";

const tags = ["compliance"];

/** Legal holds and the erasures they keep waiting (docs/compliance.md, "Legal hold"). */
export function legalHoldRoutes(app: FastifyInstance): void {
  app.post<{ Body: PlaceHoldRequest }>(
    "/holds",
    { schema: { tags, summary: "Place a legal hold on a memory, a cube or a data subject: no erasure, retention action or change until released", body: placeHoldBody, response: { 201: holdSchema, 404: errorResponse } } },
    async (request, reply) => reply.status(201).send(await request.ledger.holds.place(request.body, requestOptions(request))),
  );

  app.post<{ Params: { holdId: string }; Body: { reason: string } }>(
    "/holds/:holdId/release",
    { schema: { tags, summary: "Release a hold; erasures no other hold covers then run (as jobs, listed in the answer)", params: idParam("holdId"), body: releaseHoldBody, response: { 200: holdSchema } } },
    async (request) => request.ledger.holds.release(request.params.holdId, request.body.reason, requestOptions(request)),
  );

  app.get<{ Querystring: { asOfTime?: string; includeReleased?: "true" | "false" } }>(
    "/holds",
    { schema: { tags, summary: "The tenant's active holds, now or as of a time", querystring: listHoldsQuery, response: { 200: holdListSchema } } },
    async (request) => ({
      holds: await request.ledger.holds.list({
        ...(request.query.asOfTime !== undefined ? { asOfTime: request.query.asOfTime } : {}),
        ...(request.query.includeReleased === "true" ? { includeReleased: true } : {}),
      }),
    }),
  );

  app.get(
    "/erasures/pending",
    { schema: { tags, summary: "Erasures refused under legal hold, waiting for the holds that cover them to be released", response: { 200: pendingErasureListSchema } } },
    async (request) => ({ pending: await request.ledger.holds.pendingErasures() }),
  );
}

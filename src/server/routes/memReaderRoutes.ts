import type { FastifyInstance } from "fastify";
import type { AddMessagesRequest } from "../../memReader/conversationMessage.js";
import { addMessagesAnswerSchema, addMessagesBody } from "../memReaderSchemas.js";
import { requestOptions } from "../requestContext.js";
import { errorResponse, idParam } from "../schemas.js";

/** MemReader: a conversation posted to a cube (docs/memreader.md). */
export function memReaderRoutes(app: FastifyInstance): void {
  app.post<{ Params: { cubeId: string }; Body: AddMessagesRequest }>(
    "/cubes/:cubeId/messages",
    {
      schema: {
        tags: ["memories"],
        summary: "Add a conversation: each turn is stored as a raw_source unit, then memories are extracted (fast: windows of turns; fine: a chat model's facts). Async (202 with the job) by default; async false answers 201 with the extracted units",
        params: idParam("cubeId"),
        body: addMessagesBody,
        response: { 201: addMessagesAnswerSchema, 202: addMessagesAnswerSchema, 400: errorResponse, 404: errorResponse, 409: errorResponse, 502: errorResponse, 503: errorResponse },
      },
    },
    async (request, reply) => {
      const result = await request.ledger.memReader.addMessages(request.params.cubeId, request.body, requestOptions(request));
      if (!result.async) return reply.status(201).send(result);
      return reply.status(202).header("location", `/jobs/${result.job.jobId}`).send(result);
    },
  );
}

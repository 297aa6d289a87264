import type { FastifyInstance } from "fastify";
import type { AddDocumentRequest } from "../../documentReader/documentReaderService.js";
import { addDocumentBody, documentAddedAsyncSchema, documentAddedSyncSchema, documentBodyLimitBytes } from "../documentSchemas.js";
import { requestOptions } from "../requestContext.js";
import { errorResponse, idParam } from "../schemas.js";

/** Documents read into chunked memories (docs/documents.md). */
export function documentRoutes(app: FastifyInstance): void {
  app.post<{ Params: { cubeId: string }; Body: AddDocumentRequest }>(
    "/cubes/:cubeId/documents",
    {
      bodyLimit: documentBodyLimitBytes,
      schema: {
        tags: ["memories"],
        summary: "Add a document (text, Markdown, HTML, PDF): recorded whole, then chunked into units with page, headings and characters; async (default) answers 202 with the job, sync 201 with the chunks",
        params: idParam("cubeId"),
        body: addDocumentBody,
        response: {
          201: documentAddedSyncSchema,
          202: documentAddedAsyncSchema,
          413: errorResponse, // the body, the document's text, or a sync document's text is over its limit
          422: errorResponse, // the content is not a readable document of its media type: nothing was written
        },
      },
    },
    async (request, reply) => {
      const result = await request.ledger.documents.add(request.params.cubeId, request.body, requestOptions(request));
      if (result.mode === "sync") return reply.status(201).send(result);
      return reply.status(202).header("location", `/jobs/${result.job.jobId}`).send(result);
    },
  );
}

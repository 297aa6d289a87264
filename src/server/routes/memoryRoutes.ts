import type { FastifyInstance, FastifyReply } from "fastify";
import type { FreezeReason } from "../../../domain/memory/memoryEvents.js";
import type { MemoryEdit, NewMemoryInput } from "../../memory/memoryService.js";
import { conditionalWrite } from "../conditionalWrite.js";
import { revisionETag } from "../entityTags.js";
import { asOfFrom, AsOfRevisionPastHead, requestOptions } from "../requestContext.js";
import { memoryDiffSchema, memoryHistorySchema } from "../responseSchemas.js";
import { asOfQuery, createMemoryBody, diffQuery, editMemoryBody, errorResponse, expectedRevisionBody, freezeBody, idParam, memoryViewSchema, mergeBody, revertBody } from "../schemas.js";

type IdParams = { Params: { memoryId: string } };
const errors = { 400: errorResponse, 404: errorResponse, 409: errorResponse };
// Writes a caller can make conditional with If-Match.
const writeErrors = { ...errors, 412: errorResponse };
const params = idParam("memoryId");
/** A returned memory carries its revision as a strong ETag, the value If-Match takes. */
const tagged = <T extends { revision: number }>(reply: FastifyReply, view: T): T => {
  reply.header("etag", revisionETag(view.revision));
  return view;
};

export function memoryRoutes(app: FastifyInstance): void {
  app.post<{ Body: NewMemoryInput }>(
    "/memories",
    { schema: { tags: ["memories"], summary: "Remember something (activated at once unless activate=false)", body: createMemoryBody, response: { 201: memoryViewSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(tagged(reply, await request.ledger.memories.create(request.body, requestOptions(request)))),
  );

  app.get<IdParams & { Querystring: { asOfRevision?: number; asOfTime?: string; asOfPosition?: number } }>(
    "/memories/:memoryId",
    { schema: { tags: ["memories"], summary: "A memory now, or as of a revision, time or log position", params, querystring: asOfQuery, response: { 200: memoryViewSchema, ...errors } } },
    async (request, reply) => {
      const asOf = asOfFrom(request.query);
      const view = await request.ledger.memories.get(request.params.memoryId, asOf);
      // The prefix of a stream past its last event is the whole stream: say so instead of answering the head.
      if (asOf !== undefined && "revision" in asOf && view.revision < asOf.revision) throw new AsOfRevisionPastHead(request.params.memoryId, asOf.revision, view.revision);
      return tagged(reply, view);
    },
  );

  app.patch<IdParams & { Body: MemoryEdit & { expectedRevision?: number } }>(
    "/memories/:memoryId",
    { schema: { tags: ["memories"], summary: "Edit content or attributes (a new version)", params, body: editMemoryBody, response: { 200: memoryViewSchema, ...writeErrors } } },
    async (request, reply) => {
      const { expectedRevision, ...edit } = request.body;
      const { memoryId } = request.params;
      return tagged(reply, await conditionalWrite(request, memoryId, expectedRevision, (options) => request.ledger.memories.edit(memoryId, edit, requestOptions(request), options)));
    },
  );

  for (const action of ["activate", "archive", "restore"] as const) {
    app.post<IdParams & { Body: { expectedRevision?: number } | undefined }>(
      `/memories/:memoryId/${action}`,
      { schema: { tags: ["lifecycle"], summary: `${action[0]!.toUpperCase()}${action.slice(1)} a memory`, params, body: expectedRevisionBody, response: { 200: memoryViewSchema, ...writeErrors } } },
      async (request, reply) => {
        const { memoryId } = request.params;
        return tagged(reply, await conditionalWrite(request, memoryId, request.body?.expectedRevision, (options) => request.ledger.memories[action](memoryId, requestOptions(request), options)));
      },
    );
  }

  app.post<IdParams & { Body: { successorId: string; expectedRevision?: number } }>(
    "/memories/:memoryId/merge",
    { schema: { tags: ["lifecycle"], summary: "Merge into a successor unit (read-only afterwards)", params, body: mergeBody, response: { 200: memoryViewSchema, ...writeErrors } } },
    async (request, reply) => {
      const { memoryId } = request.params;
      return tagged(reply, await conditionalWrite(request, memoryId, request.body.expectedRevision, (options) => request.ledger.memories.merge(memoryId, request.body.successorId, requestOptions(request), options)));
    },
  );

  app.post<IdParams & { Body: { reason: FreezeReason; note?: string; expectedRevision?: number } }>(
    "/memories/:memoryId/freeze",
    { schema: { tags: ["lifecycle"], summary: "Freeze (legal hold or retention): immutable until erased", params, body: freezeBody, response: { 200: memoryViewSchema, ...writeErrors } } },
    async (request, reply) => {
      const { memoryId } = request.params;
      const { reason, note, expectedRevision } = request.body;
      return tagged(reply, await conditionalWrite(request, memoryId, expectedRevision, (options) => request.ledger.memories.freeze(memoryId, reason, note, requestOptions(request), options)));
    },
  );

  app.post<IdParams>(
    "/memories/:memoryId/erase",
    { schema: { tags: ["lifecycle"], summary: "Erase: destroy the unit's data key (crypto-shredding); the skeleton and audit trail stay", params, response: { 200: memoryViewSchema, ...writeErrors } } },
    async (request, reply) => {
      const { memoryId } = request.params;
      // Erasure takes no expected revision; an If-Match is checked against the revision read just before.
      return tagged(reply, await conditionalWrite(request, memoryId, undefined, () => request.ledger.memories.erase(memoryId, requestOptions(request))));
    },
  );

  app.post<IdParams & { Body: { toRevision: number; expectedRevision?: number } }>(
    "/memories/:memoryId/revert",
    { schema: { tags: ["lifecycle"], summary: "Revert to an earlier revision with a compensating event", params, body: revertBody, response: { 200: memoryViewSchema, ...writeErrors } } },
    async (request, reply) => {
      const { memoryId } = request.params;
      return tagged(reply, await conditionalWrite(request, memoryId, request.body.expectedRevision, (options) => request.ledger.memories.revert(memoryId, request.body.toRevision, requestOptions(request), options)));
    },
  );

  app.get<IdParams>("/memories/:memoryId/history", { schema: { tags: ["memories"], summary: "Every event of the unit: who, when, why", params, response: { 200: memoryHistorySchema, ...errors } } }, async (request) => ({
    memoryId: request.params.memoryId,
    entries: await request.ledger.memories.history(request.params.memoryId),
  }));

  app.get<IdParams & { Querystring: { from: number; to: number } }>(
    "/memories/:memoryId/diff",
    { schema: { tags: ["memories"], summary: "Difference between two revisions", params, querystring: diffQuery, response: { 200: memoryDiffSchema, ...errors } } },
    async (request) => request.ledger.memories.diff(request.params.memoryId, request.query.from, request.query.to),
  );
}

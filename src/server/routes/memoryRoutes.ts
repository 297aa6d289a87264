import type { FastifyInstance } from "fastify";
import type { MemLedger } from "../../app/memLedger.js";
import type { FreezeReason } from "../../../domain/memory/memoryEvents.js";
import type { MemoryEdit, NewMemoryInput } from "../../memory/memoryService.js";
import { asOfFrom, commandContext, expectedRevision } from "../requestContext.js";
import { asOfQuery, createMemoryBody, diffQuery, editMemoryBody, errorResponse, expectedRevisionBody, freezeBody, idParam, memoryViewSchema, mergeBody, revertBody } from "../schemas.js";

type IdParams = { Params: { memoryId: string } };
const errors = { 400: errorResponse, 404: errorResponse, 409: errorResponse };
const params = idParam("memoryId");
const withRevision = (revision: number | undefined) => (revision !== undefined ? { expectedRevision: revision } : {});

export function memoryRoutes(app: FastifyInstance, ledger: MemLedger): void {
  app.post<{ Body: NewMemoryInput }>(
    "/memories",
    { schema: { tags: ["memories"], summary: "Remember something (activated at once unless activate=false)", body: createMemoryBody, response: { 201: memoryViewSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await ledger.memories.create(request.body, commandContext(request))),
  );

  app.get<IdParams & { Querystring: { asOfRevision?: number; asOfTime?: string; asOfPosition?: number } }>(
    "/memories/:memoryId",
    { schema: { tags: ["memories"], summary: "A memory now, or as of a revision, time or log position", params, querystring: asOfQuery, response: { 200: memoryViewSchema, ...errors } } },
    async (request) => ledger.memories.get(request.params.memoryId, asOfFrom(request.query)),
  );

  app.patch<IdParams & { Body: MemoryEdit & { expectedRevision?: number } }>(
    "/memories/:memoryId",
    { schema: { tags: ["memories"], summary: "Edit content or attributes (a new version)", params, body: editMemoryBody, response: { 200: memoryViewSchema, ...errors } } },
    async (request) => {
      const { expectedRevision: _, ...edit } = request.body;
      return ledger.memories.edit(request.params.memoryId, edit, commandContext(request), withRevision(expectedRevision(request, request.body)));
    },
  );

  for (const action of ["activate", "archive", "restore"] as const) {
    app.post<IdParams & { Body: { expectedRevision?: number } | undefined }>(
      `/memories/:memoryId/${action}`,
      { schema: { tags: ["lifecycle"], summary: `${action[0]!.toUpperCase()}${action.slice(1)} a memory`, params, body: expectedRevisionBody, response: { 200: memoryViewSchema, ...errors } } },
      async (request) => ledger.memories[action](request.params.memoryId, commandContext(request), withRevision(expectedRevision(request, request.body ?? {}))),
    );
  }

  app.post<IdParams & { Body: { successorId: string; expectedRevision?: number } }>(
    "/memories/:memoryId/merge",
    { schema: { tags: ["lifecycle"], summary: "Merge into a successor unit (read-only afterwards)", params, body: mergeBody, response: { 200: memoryViewSchema, ...errors } } },
    async (request) => ledger.memories.merge(request.params.memoryId, request.body.successorId, commandContext(request), withRevision(expectedRevision(request, request.body))),
  );

  app.post<IdParams & { Body: { reason: FreezeReason; note?: string; expectedRevision?: number } }>(
    "/memories/:memoryId/freeze",
    { schema: { tags: ["lifecycle"], summary: "Freeze (legal hold or retention): immutable until erased", params, body: freezeBody, response: { 200: memoryViewSchema, ...errors } } },
    async (request) =>
      ledger.memories.freeze(request.params.memoryId, request.body.reason, request.body.note, commandContext(request), withRevision(expectedRevision(request, request.body))),
  );

  app.post<IdParams>(
    "/memories/:memoryId/erase",
    { schema: { tags: ["lifecycle"], summary: "Erase: destroy the unit's data key (crypto-shredding); the skeleton and audit trail stay", params, response: { 200: memoryViewSchema, ...errors } } },
    async (request) => ledger.memories.erase(request.params.memoryId, commandContext(request)),
  );

  app.post<IdParams & { Body: { toRevision: number; expectedRevision?: number } }>(
    "/memories/:memoryId/revert",
    { schema: { tags: ["lifecycle"], summary: "Revert to an earlier revision with a compensating event", params, body: revertBody, response: { 200: memoryViewSchema, ...errors } } },
    async (request) => ledger.memories.revert(request.params.memoryId, request.body.toRevision, commandContext(request), withRevision(expectedRevision(request, request.body))),
  );

  app.get<IdParams>("/memories/:memoryId/history", { schema: { tags: ["memories"], summary: "Every event of the unit: who, when, why", params } }, async (request) => ({
    memoryId: request.params.memoryId,
    entries: await ledger.memories.history(request.params.memoryId),
  }));

  app.get<IdParams & { Querystring: { from: number; to: number } }>(
    "/memories/:memoryId/diff",
    { schema: { tags: ["memories"], summary: "Difference between two revisions", params, querystring: diffQuery } },
    async (request) => ledger.memories.diff(request.params.memoryId, request.query.from, request.query.to),
  );
}

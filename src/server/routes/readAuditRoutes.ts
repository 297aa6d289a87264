import type { FastifyInstance } from "fastify";
import { invalidRequest } from "../../command/appErrors.js";
import { readAuditQuery, readRecordListSchema } from "../governanceSchemas.js";

type ReadAuditQuery = { memoryId?: string; principalId?: string; from?: string; to?: string; after?: number; limit?: number };

/** Who read a memory, or what a principal read: from the read audit's indexes, newest first within the page. */
export function readAuditRoutes(app: FastifyInstance): void {
  app.get<{ Querystring: ReadAuditQuery }>(
    "/audit/reads",
    { schema: { tags: ["governance"], summary: "The read audit: who read memory X (memoryId), or what principal P read (principalId), between two times", querystring: readAuditQuery, response: { 200: readRecordListSchema } } },
    async (request) => {
      const { memoryId, principalId, ...range } = request.query;
      if ((memoryId === undefined) === (principalId === undefined)) throw invalidRequest("memoryId", "give exactly one of memoryId (who read it) and principalId (what they read)");
      const reads = memoryId !== undefined ? await request.ledger.audit.whoRead(memoryId, range) : await request.ledger.audit.readsBy(principalId!, range);
      return { reads };
    },
  );
}

import type { FastifyInstance } from "fastify";
import { renderExportSummary } from "../../subjectExport/exportSummary.js";
import { subjectExportJsonSchema, subjectExportQuery } from "../../subjectExport/subjectExportSchema.js";
import { idParam } from "../schemas.js";

type ExportRequest = { Params: { subjectId: string }; Querystring: { format?: "json" | "summary"; after?: string; limit?: number } };

/** Subject access and portability (GDPR art. 15 and 20): the data protection officer's export of one subject. */
export function subjectExportRoutes(app: FastifyInstance): void {
  app.get<ExportRequest>(
    "/subjects/:subjectId/export",
    {
      schema: {
        tags: ["governance"],
        summary: "Export a data subject's memories, versions, reads and changes in the caller's tenant (data protection officer); ?format=summary gives Markdown",
        params: idParam("subjectId"),
        querystring: subjectExportQuery,
        response: {
          200: {
            description: "the export (JSON), or with format=summary the same in words (text/markdown)",
            content: { "application/json": { schema: subjectExportJsonSchema }, "text/markdown": { schema: { type: "string" } } },
          },
        },
      },
    },
    async (request, reply) => {
      const { format, after, limit } = request.query;
      const document = await request.ledger.subjects.export(request.params.subjectId, { ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) });
      if (format === "summary") return reply.type("text/markdown; charset=utf-8").send(renderExportSummary(document));
      return reply.type("application/json; charset=utf-8").send(document);
    },
  );
}

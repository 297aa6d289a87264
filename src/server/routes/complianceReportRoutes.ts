import type { FastifyInstance, FastifyReply } from "fastify";
import { reportColumns, type ReportName } from "../../compliance/reportsApi.js";
import { toCsv } from "../../compliance/reportCsv.js";
import { errorResponse } from "../schemas.js";

type Format = "json" | "csv";
interface PageQuery {
  after?: string;
  limit?: number;
  format?: Format;
}
interface PeriodQuery extends PageQuery {
  from?: string;
  to?: string;
}

const pageProperties = {
  after: { type: "string", description: "the `next` cursor of the previous page" },
  limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
  format: { type: "string", enum: ["json", "csv"], default: "json" },
} as const;
const periodProperties = { from: { type: "string", format: "date-time" }, to: { type: "string", format: "date-time" } } as const;
const queryOf = (properties: Record<string, unknown>, required: readonly string[] = []) => ({ type: "object", additionalProperties: false, properties: { ...pageProperties, ...properties }, required });
const tags = ["governance"];
/**
 * Every report answers JSON (a page of rows; the subject access report its reads and changes pages; knowledge with
 * format=evidence the evidence document), or with format=csv the rows as CSV; 404 names a memory, cube or subject
 * the tenant has not (or another tenant's: the same answer).
 */
const reportResponse = {
  200: {
    description: "JSON, or with format=csv the rows as CSV (the next page's cursor in X-Next-Cursor)",
    content: { "application/json": { schema: { type: "object", additionalProperties: true } }, "text/csv": { schema: { type: "string" } } },
  },
  404: errorResponse,
} as const;

/** JSON as is, or the page's rows as CSV with the cursor of the next page in a `Link`-like header. */
function send(reply: FastifyReply, format: Format | undefined, report: ReportName, page: { rows: readonly object[]; next?: string }) {
  if (format !== "csv") return page;
  if (page.next !== undefined) void reply.header("x-next-cursor", page.next);
  return reply.type("text/csv; charset=utf-8").send(toCsv(reportColumns[report], page.rows));
}

/**
 * Compliance reports of the caller's tenant (`report.read`: tenant admins,
 * auditors, data protection officers), each a page of rows after a cursor,
 * as JSON or CSV (`?format=csv`; the next cursor is then in `X-Next-Cursor`).
 */
export function complianceReportRoutes(app: FastifyInstance): void {
  app.get<{ Querystring: PeriodQuery & { actor?: string; cubeId?: string; memoryId?: string; type?: string } }>(
    "/reports/changes",
    { schema: { tags, response: reportResponse, summary: "Change log: every event by actor, cube, memory, type and period (never content)", querystring: queryOf({ ...periodProperties, actor: { type: "string" }, cubeId: { type: "string" }, memoryId: { type: "string" }, type: { type: "string" } }) } },
    async (request, reply) => {
      const { after, limit, format, ...filter } = request.query;
      return send(reply, format, "changeLog", await request.ledger.reports.changeLog(filter, { ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) }));
    },
  );
  app.get<{ Querystring: PeriodQuery & { memoryId?: string; principalId?: string } }>(
    "/reports/reads",
    { schema: { tags, response: reportResponse, summary: "Read log: who read memory X (memoryId) or what principal P read (principalId), in a period", querystring: queryOf({ ...periodProperties, memoryId: { type: "string" }, principalId: { type: "string" } }) } },
    async (request, reply) => {
      const { after, limit, format, memoryId, principalId, from, to } = request.query;
      const period = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
      const filter = memoryId !== undefined ? { ...period, memoryId, ...(principalId !== undefined ? { principalId } : {}) } : { ...period, principalId: principalId! };
      return send(reply, format, "readLog", await request.ledger.reports.readLog(filter as never, { ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) }));
    },
  );
  app.get<{ Params: { memoryId: string }; Querystring: PageQuery }>(
    "/reports/lineage/:memoryId",
    { schema: { tags, response: reportResponse, summary: "Lineage of a memory: sources, versions, merges, branches and derived units", querystring: queryOf({}) } },
    async (request, reply) => {
      const { after, limit, format } = request.query;
      return send(reply, format, "lineage", await request.ledger.reports.lineage(request.params.memoryId, { ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) }));
    },
  );
  app.get<{ Querystring: Omit<PageQuery, "format"> & { cubeId: string; at: string; format?: Format | "evidence" } }>(
    "/reports/knowledge",
    {
      schema: {
        tags,
        response: reportResponse,
        summary: "What the agent knew at T: a cube's units as of `at` with version and content hash; format=evidence for the whole answer with its log position and digest",
        querystring: { ...queryOf({ cubeId: { type: "string" }, at: { type: "string", format: "date-time" } }, ["cubeId", "at"]), properties: { ...pageProperties, cubeId: { type: "string" }, at: { type: "string", format: "date-time" }, format: { type: "string", enum: ["json", "csv", "evidence"], default: "json" } } },
      },
    },
    async (request, reply) => {
      const { after, limit, format, cubeId, at } = request.query;
      if (format === "evidence") return request.ledger.reports.knowledgeEvidence(cubeId, at);
      return send(reply, format, "knowledge", await request.ledger.reports.knowledgeAt(cubeId, at, { ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) }));
    },
  );
  app.get<{ Querystring: PeriodQuery }>(
    "/reports/erasures",
    { schema: { tags, response: reportResponse, summary: "Erasure register: subject and memory erasure certificates in a period", querystring: queryOf(periodProperties) } },
    async (request, reply) => {
      const { after, limit, format, from, to } = request.query;
      const period = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
      return send(reply, format, "erasures", await request.ledger.reports.erasures(period, { ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) }));
    },
  );
  app.get<{ Params: { subjectId: string }; Querystring: { readsAfter?: string; changesAfter?: string; limit?: number; format?: Format; section?: "reads" | "changes" } }>(
    "/reports/subjects/:subjectId/access",
    {
      schema: {
        tags,
        response: reportResponse,
        summary: "Access report for a data subject: every read of their units and every change of their data",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            readsAfter: { type: "string" },
            changesAfter: { type: "string" },
            limit: pageProperties.limit,
            format: pageProperties.format,
            section: { type: "string", enum: ["reads", "changes"], description: "with format=csv: which section (default reads)" },
          },
        },
      },
    },
    async (request, reply) => {
      const { readsAfter, changesAfter, limit, format, section } = request.query;
      const lim = limit !== undefined ? { limit } : {};
      const answer = await request.ledger.reports.subjectAccess(request.params.subjectId, {
        reads: { ...(readsAfter !== undefined ? { after: readsAfter } : {}), ...lim },
        changes: { ...(changesAfter !== undefined ? { after: changesAfter } : {}), ...lim },
      });
      if (format !== "csv") return answer;
      return section === "changes" ? send(reply, format, "changeLog", answer.changes) : send(reply, format, "readLog", answer.reads);
    },
  );
  app.get<{ Querystring: PageQuery & { at?: string } }>(
    "/reports/grants",
    { schema: { tags, response: reportResponse, summary: "Principals, roles, groups and cube grants as of `at` (now when absent)", querystring: queryOf({ at: { type: "string", format: "date-time" } }) } },
    async (request, reply) => {
      const { after, limit, format, at } = request.query;
      return send(reply, format, "grants", await request.ledger.reports.grants(at, { ...(after !== undefined ? { after } : {}), ...(limit !== undefined ? { limit } : {}) }));
    },
  );
}

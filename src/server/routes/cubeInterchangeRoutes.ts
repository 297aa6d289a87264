import type { FastifyInstance, FastifySchemaCompiler } from "fastify";
import { Readable } from "node:stream";
import { createInterface } from "node:readline";
import type { ExternalFormat } from "../../cubeInterchange/externalFormats.js";
import { requestOptions } from "../requestContext.js";
import { requestValidatorCompiler } from "../requestValidators.js";
import { errorResponse, idParam } from "../schemas.js";
import { cubeImportQuery, cubeExportQuery, cubeImportReportSchema, ndjsonBody } from "../../cubeInterchange/interchangeHttpSchemas.js";

type ExportRequest = { Params: { cubeId: string }; Querystring: { currentState?: boolean; includeGrants?: boolean; flat?: boolean } };
type ImportRequest = { Querystring: { format?: "memledger" | ExternalFormat; onConflict?: "fail" | "remap"; cubeId?: string; name?: string }; Body: Readable | unknown };

export const ndjsonType = "application/x-ndjson";

/** The body of an import is read as a stream (to a spool file), never held whole: only the query is validated here. */
const streamedBodyValidator = (): FastifySchemaCompiler<unknown> => {
  const base = requestValidatorCompiler();
  return (route) => (route.httpPart === "body" ? () => true : base(route));
};

async function* linesOf(body: Readable): AsyncGenerator<string> {
  for await (const line of createInterface({ input: body, crlfDelay: Infinity })) yield line;
}

/** Portable MemCubes over REST (docs/interchange.md): export streams JSON Lines out, import streams them in. */
export function cubeInterchangeRoutes(app: FastifyInstance): void {
  // The body stays a stream: the route spools it to disk, so no body limit applies and memory stays flat.
  app.addContentTypeParser(ndjsonType, (_request, payload, done) => done(null, payload));

  app.get<ExportRequest>(
    "/cubes/:cubeId/export",
    {
      schema: {
        tags: ["cubes"],
        summary: "Export the cube as a memledger-cube/1 file (JSON Lines: manifest, cube, each unit's history, trailer with hashes); ?currentState=true for units as they are now, ?flat=true for flat JSONL others read; cube admins only, recorded in the read audit",
        params: idParam("cubeId"),
        querystring: cubeExportQuery,
        response: { 200: { description: "the file, streamed", content: { [ndjsonType]: { schema: { type: "string" } } } } },
      },
    },
    async (request, reply) => {
      const { cubeId } = request.params;
      const { currentState, includeGrants, flat } = request.query;
      const lines =
        flat === true
          ? await request.ledger.interchange.exportFlat(cubeId)
          : await request.ledger.interchange.exportCube(cubeId, { ...(currentState !== undefined ? { currentState } : {}), ...(includeGrants !== undefined ? { includeGrants } : {}) });
      const name = `${cubeId.replace(/[^A-Za-z0-9_.-]/g, "_")}${flat === true ? ".flat" : ""}.jsonl`;
      return reply.type(`${ndjsonType}; charset=utf-8`).header("content-disposition", `attachment; filename="${name}"`).send(Readable.from(lines));
    },
  );

  app.post<ImportRequest>(
    "/cubes/import",
    {
      validatorCompiler: streamedBodyValidator(),
      schema: {
        tags: ["cubes"],
        summary: "Import a cube: a memledger-cube/1 file (verified whole first; ids and provenance kept, or remapped with ?onConflict=remap; idempotent and resumable), or ?format=mem0|jsonl memories as new units of a new cube (or ?cubeId=)",
        querystring: cubeImportQuery,
        body: ndjsonBody,
        response: {
          200: cubeImportReportSchema,
          404: errorResponse, // ?cubeId= names no cube the caller may write to
          422: errorResponse, // the file is not intact (the message names the first bad line): nothing was imported
        },
      },
    },
    async (request) => {
      const { format = "memledger", onConflict, cubeId, name } = request.query;
      // application/x-ndjson streams; application/json is the same records as one array (or, for mem0, its export document).
      const lines: AsyncIterable<string> | readonly string[] =
        request.body instanceof Readable ? linesOf(request.body) : Array.isArray(request.body) ? request.body.map((record) => JSON.stringify(record)) : [JSON.stringify(request.body ?? null)];
      if (format === "memledger") {
        return request.ledger.interchange.importCube(lines, { ...(onConflict !== undefined ? { onConflict } : {}) }, requestOptions(request));
      }
      const chunks: string[] = [];
      for await (const line of lines) chunks.push(line);
      const text = format === "mem0" && !(request.body instanceof Readable) ? JSON.stringify(request.body ?? null) : chunks.join("\n");
      return request.ledger.interchange.importExternal({ format, text, ...(cubeId !== undefined ? { cubeId } : {}), ...(name !== undefined ? { name } : {}) }, requestOptions(request));
    },
  );
}

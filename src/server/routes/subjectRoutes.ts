import type { FastifyInstance } from "fastify";
import { requestOptions } from "../requestContext.js";
import { erasureCertificateSchema, erasureCertificatesSchema } from "../responseSchemas.js";
import { idParam } from "../schemas.js";

export function subjectRoutes(app: FastifyInstance): void {
  app.post<{ Params: { subjectId: string } }>(
    "/subjects/:subjectId/erase",
    { schema: { tags: ["governance"], summary: "Forget a data subject: destroy their keys, erase their units, return the certificate", params: idParam("subjectId"), response: { 200: erasureCertificateSchema } } },
    async (request) => request.ledger.subjects.erase(request.params.subjectId, requestOptions(request)),
  );

  app.get<{ Params: { subjectId: string } }>(
    "/subjects/:subjectId/erasures",
    { schema: { tags: ["governance"], summary: "Erasure certificates of a subject", params: idParam("subjectId"), response: { 200: erasureCertificatesSchema } } },
    async (request) => ({ subjectId: request.params.subjectId, certificates: await request.ledger.subjects.certificates(request.params.subjectId) }),
  );
}

import type { FastifyInstance } from "fastify";
import { publicKeySchema, signedCheckpointSchema, tamperReportSchema } from "../../tamperEvidence/tamperEvidenceSchemas.js";

const tags = ["governance"];

/** Tamper evidence of the event log (docs/compliance.md): verify the hash chains, sign and publish checkpoints. */
export function tamperEvidenceRoutes(app: FastifyInstance): void {
  app.post(
    "/audit/verify",
    {
      schema: {
        tags,
        summary: "Walk the event log: checksums, hash chains, signed checkpoints; names the first event changed, removed, reordered or inserted (log.verify: tenant_admin, auditor)",
        description: "Answers 200 either way: `ok` says whether the log is intact. Findings in another tenant's events show their position and kind only.",
        response: { 200: tamperReportSchema },
      },
    },
    async (request) => request.ledger.tamperEvidence.verify(),
  );
  app.post(
    "/audit/checkpoints",
    { schema: { tags, summary: "Sign the log's head now and append the checkpoint; publish the answer (log.checkpoint: tenant_admin)", response: { 201: signedCheckpointSchema } } },
    async (request, reply) => reply.status(201).send(await request.ledger.tamperEvidence.checkpoint()),
  );
  app.get(
    "/audit/checkpoints/public-key",
    { schema: { tags, summary: "The public key that checks the signed checkpoints (log.verify)", response: { 200: publicKeySchema } } },
    async (request) => request.ledger.tamperEvidence.publicKey(),
  );
}

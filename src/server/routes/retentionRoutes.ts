import type { FastifyInstance } from "fastify";
import type { RetentionPolicy } from "../../../domain/retention/retentionPolicy.js";
import { requestOptions } from "../requestContext.js";
import { dryRunBody, retentionPlanSchema, retentionPolicyBody, retentionPolicySchema, retentionRemovedSchema, retentionRunsSchema } from "../retentionSchemas.js";
import { idParam } from "../schemas.js";

type CubeParams = { Params: { cubeId: string } };
const tags = ["compliance"];
const params = idParam("cubeId");

/** A cube's retention policy and its sweeps' reports (docs/compliance.md, "Retention policies"). */
export function retentionRoutes(app: FastifyInstance): void {
  app.put<CubeParams & { Body: RetentionPolicy }>(
    "/cubes/:cubeId/retention-policy",
    { schema: { tags, summary: "Set or replace the cube's retention policy (per memory type: archive, freeze, erase after N days unchanged); sweeps start at once and recur", params, body: retentionPolicyBody, response: { 200: retentionPolicySchema } } },
    async (request) => request.ledger.retention.setPolicy(request.params.cubeId, request.body, requestOptions(request)),
  );

  app.get<CubeParams>(
    "/cubes/:cubeId/retention-policy",
    { schema: { tags, summary: "The cube's retention policy", params, response: { 200: retentionPolicySchema } } },
    async (request) => request.ledger.retention.getPolicy(request.params.cubeId),
  );

  app.delete<CubeParams>(
    "/cubes/:cubeId/retention-policy",
    { schema: { tags, summary: "Remove the cube's retention policy; its sweeps stop", params, response: { 200: retentionRemovedSchema } } },
    async (request) => request.ledger.retention.removePolicy(request.params.cubeId, requestOptions(request)),
  );

  app.post<CubeParams & { Body: { policy?: RetentionPolicy } | undefined }>(
    "/cubes/:cubeId/retention-policy/dry-run",
    { schema: { tags, summary: "What a sweep would archive, freeze, erase and skip now (under the stored policy or the one given); writes nothing", params, body: dryRunBody, response: { 200: retentionPlanSchema } } },
    async (request) => request.ledger.retention.dryRun(request.params.cubeId, request.body?.policy),
  );

  app.get<CubeParams>(
    "/cubes/:cubeId/retention-runs",
    { schema: { tags, summary: "The reports of the cube's retention sweeps, oldest first", params, response: { 200: retentionRunsSchema } } },
    async (request) => ({ runs: await request.ledger.retention.runs(request.params.cubeId) }),
  );
}

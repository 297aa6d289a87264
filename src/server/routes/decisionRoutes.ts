import type { FastifyInstance } from "fastify";
import type { DecisionMode } from "../../../domain/memoryDecisions/decisionEvents.js";
import { decisionListSchema, decisionModeBody, decisionModeSchema, decisionSchema } from "../decisionSchemas.js";
import { requestOptions } from "../requestContext.js";
import { emptyBody, idParam } from "../schemas.js";

type CubeParams = { Params: { cubeId: string } };
type DecisionParams = { Params: { decisionId: string } };
const tags = ["decisions"];

/** Merge and conflict decisions on ingested units (docs/decisions.md): list, explain, revert, accept, reject; the per-cube mode. */
export function decisionRoutes(app: FastifyInstance): void {
  app.get<CubeParams>(
    "/cubes/:cubeId/decisions",
    { schema: { tags, summary: "The cube's merge decisions, oldest first, each with its inputs (candidates, scores, rule or model and prompt) and reason", params: idParam("cubeId"), response: { 200: decisionListSchema } } },
    async (request) => ({ decisions: await request.ledger.decisions.list(request.params.cubeId) }),
  );

  app.get<DecisionParams>(
    "/decisions/:decisionId",
    { schema: { tags, summary: "One decision: what it decided about which units, from which inputs, why, and what it changed", params: idParam("decisionId"), response: { 200: decisionSchema } } },
    async (request) => request.ledger.decisions.get(request.params.decisionId),
  );

  const settle = (action: "revert" | "accept" | "reject", summary: string) =>
    app.post<DecisionParams & { Body: Record<string, never> | undefined }>(
      `/decisions/:decisionId/${action}`,
      { schema: { tags, summary, params: idParam("decisionId"), body: emptyBody, response: { 200: decisionSchema } } },
      async (request) => request.ledger.decisions[action](request.params.decisionId, requestOptions(request)),
    );
  settle("revert", "Undo an applied decision: every unit it changed goes back to its revision before it (a MERGE's combined unit is archived); the reversal is recorded");
  settle("accept", "Run a proposed decision (cube in propose mode)");
  settle("reject", "Drop a proposed decision: the units stay as they are");

  app.get<CubeParams>(
    "/cubes/:cubeId/decision-mode",
    { schema: { tags, summary: "Whether the cube's merge decisions run by themselves (auto, the default), wait for a person (propose) or are off", params: idParam("cubeId"), response: { 200: decisionModeSchema } } },
    async (request) => request.ledger.decisions.mode(request.params.cubeId),
  );

  app.put<CubeParams & { Body: { mode: DecisionMode } }>(
    "/cubes/:cubeId/decision-mode",
    { schema: { tags, summary: "Set the cube's decision mode: auto, propose or off", params: idParam("cubeId"), body: decisionModeBody, response: { 200: decisionModeSchema } } },
    async (request) => request.ledger.decisions.setMode(request.params.cubeId, request.body.mode, requestOptions(request)),
  );
}

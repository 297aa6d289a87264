import type { FastifyInstance } from "fastify";
import type { FeedbackRequest } from "../../memFeedback/feedbackOps.js";
import { applyFeedbackBody, feedbackBody, feedbackPlanSchema, inferJobSchema, userProfileSchema } from "../feedbackSchemas.js";
import { requestOptions } from "../requestContext.js";
import { emptyBody, errorResponse, idParam } from "../schemas.js";

type PlanParams = { Params: { planId: string } };
type UserParams = { Params: { cubeId: string; userId: string } };
const userParams = { type: "object", required: ["cubeId", "userId"], properties: { cubeId: idParam("cubeId").properties.cubeId, userId: { type: "string", minLength: 1, maxLength: 200 } } } as const;

/** MemFeedback and preference memory (docs/feedback-and-preferences.md). */
export function feedbackRoutes(app: FastifyInstance): void {
  const tags = ["feedback"];
  app.post<{ Params: { cubeId: string }; Body: FeedbackRequest }>(
    "/cubes/:cubeId/feedback",
    {
      schema: {
        tags,
        summary:
          "A correction in plain words (\"I moved to Lyon, not Paris\") becomes a plan of edits, merges, archives and erasures over the user's units, checked and recorded; dryRun (default true) writes nothing else, dryRun false applies it. Needs a chat model (409 otherwise); 422 when the model's plan names units it may not change",
        params: idParam("cubeId"),
        body: feedbackBody,
        response: { 200: feedbackPlanSchema, 409: errorResponse, 422: errorResponse, 502: errorResponse, 503: errorResponse },
      },
    },
    async (request) => request.ledger.feedback.correct(request.params.cubeId, request.body, requestOptions(request)),
  );

  app.get<PlanParams>(
    "/feedback/:planId",
    { schema: { tags, summary: "A feedback plan: its steps, whether it was applied or undone, what it changed", params: idParam("planId"), response: { 200: feedbackPlanSchema } } },
    async (request) => request.ledger.feedback.get(request.params.planId),
  );

  app.post<PlanParams & { Body: { confirmErase?: boolean } | undefined }>(
    "/feedback/:planId/apply",
    {
      schema: {
        tags,
        summary: "Apply a planned correction: each step an audited command with the correction as its reason and the model and prompt as its automation; a plan that erases needs confirmErase true (409 otherwise)",
        params: idParam("planId"),
        body: applyFeedbackBody,
        response: { 200: feedbackPlanSchema },
      },
    },
    async (request) => request.ledger.feedback.apply(request.params.planId, { ...(request.body?.confirmErase !== undefined ? { confirmErase: request.body.confirmErase } : {}) }, requestOptions(request)),
  );

  app.post<PlanParams & { Body: Record<string, never> | undefined }>(
    "/feedback/:planId/undo",
    { schema: { tags, summary: "Undo an applied correction: each changed unit goes back to its revision before the plan; an erased unit cannot, and the answer lists it", params: idParam("planId"), body: emptyBody, response: { 200: feedbackPlanSchema } } },
    async (request) => request.ledger.feedback.undo(request.params.planId, requestOptions(request)),
  );

  const prefTags = ["preferences"];
  app.post<UserParams & { Body: Record<string, never> | undefined }>(
    "/cubes/:cubeId/users/:userId/preferences/infer",
    {
      schema: {
        tags: prefTags,
        summary: "Infer the user's implicit preferences from their recent units: a durable preferences.infer job (202); each preference a unit with confidence and evidence, a repeat updates it. Needs a chat model (409 otherwise)",
        params: userParams,
        body: emptyBody,
        response: { 202: inferJobSchema, 409: errorResponse },
      },
    },
    async (request, reply) => {
      const job = await request.ledger.preferences.infer(request.params.cubeId, request.params.userId, requestOptions(request));
      return reply.status(202).header("location", `/jobs/${job.jobId}`).send(job);
    },
  );

  app.get<UserParams>(
    "/cubes/:cubeId/users/:userId/profile",
    { schema: { tags: prefTags, summary: "The user's profile: current explicit and implicit preferences and persona attributes, each with confidence and evidence ids", params: userParams, response: { 200: userProfileSchema } } },
    async (request) => request.ledger.preferences.profile(request.params.cubeId, request.params.userId),
  );
}

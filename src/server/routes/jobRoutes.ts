import type { FastifyInstance } from "fastify";
import type { AddMemoriesRequest } from "../../ingestion/ingestionService.js";
import type { JobStatus } from "../../jobs/jobBusPort.js";
import type { ScheduleRequest } from "../../scheduler/scheduledCommands.js";
import type { RetentionSweepRequest } from "../../scheduler/retentionSweep.js";
import { addMemoriesBody, jobSchema, listJobsQuery, retentionSweepBody, scheduleBody, waitQuery } from "../jobSchemas.js";
import { requestOptions } from "../requestContext.js";
import { errorResponse, idParam, memoryViewSchema } from "../schemas.js";

const errors = { 400: errorResponse, 404: errorResponse, 409: errorResponse, 503: errorResponse };

export function jobRoutes(app: FastifyInstance): void {
  app.post<{ Params: { cubeId: string }; Body: AddMemoriesRequest }>(
    "/cubes/:cubeId/add",
    {
      schema: {
        tags: ["memories"],
        summary: "Add memories: sync returns them activated (201); async returns unit ids and a job at once (202), the job activates them",
        params: idParam("cubeId"),
        body: addMemoriesBody,
        response: {
          201: { type: "object", properties: { mode: { type: "string" }, memories: { type: "array", items: memoryViewSchema } } },
          202: { type: "object", properties: { mode: { type: "string" }, memoryIds: { type: "array", items: { type: "string" } }, job: jobSchema } },
          ...errors,
          413: errorResponse, // a sync add above its limits: send it async

        },
      },
    },
    async (request, reply) => {
      const result = await request.ledger.memories.add(request.params.cubeId, request.body, requestOptions(request));
      if (result.mode === "sync") return reply.status(201).send(result);
      return reply.status(202).header("location", `/jobs/${result.job.jobId}`).send(result);
    },
  );

  app.post<{ Params: { memoryId: string }; Body: ScheduleRequest }>(
    "/memories/:memoryId/schedule",
    { schema: { tags: ["jobs"], summary: "Schedule a command (archive, freeze, activate) for later: a durable delayed job", params: idParam("memoryId"), body: scheduleBody, response: { 202: jobSchema, ...errors } } },
    async (request, reply) => {
      const job = await request.ledger.memories.schedule(request.params.memoryId, request.body, requestOptions(request));
      return reply.status(202).header("location", `/jobs/${job.jobId}`).send(job);
    },
  );

  app.post<{ Params: { cubeId: string }; Body: RetentionSweepRequest }>(
    "/cubes/:cubeId/retention-sweeps",
    {
      schema: {
        tags: ["jobs"],
        summary: "Schedule a retention sweep: a delayed job that archives the cube's activated units unchanged for N days",
        params: idParam("cubeId"),
        body: retentionSweepBody,
        response: { 202: jobSchema, ...errors },
      },
    },
    async (request, reply) => {
      const job = await request.ledger.cubes.scheduleRetentionSweep(request.params.cubeId, request.body, requestOptions(request));
      return reply.status(202).header("location", `/jobs/${job.jobId}`).send(job);
    },
  );

  app.get<{ Querystring: { cubeId?: string; status?: JobStatus; kind?: string; limit?: number } }>(
    "/jobs",
    { schema: { tags: ["jobs"], summary: "Jobs, newest first, by cube, status or kind", querystring: listJobsQuery, response: { 200: { type: "object", properties: { jobs: { type: "array", items: jobSchema } } }, ...errors } } },
    async (request) => ({ jobs: await request.ledger.jobs.list(request.query) }),
  );

  app.get<{ Params: { jobId: string } }>(
    "/jobs/:jobId",
    { schema: { tags: ["jobs"], summary: "A job's status (waiting, running, failed, done, dead), attempts, last error and result", params: idParam("jobId"), response: { 200: jobSchema, ...errors } } },
    async (request) => request.ledger.jobs.get(request.params.jobId),
  );

  app.get<{ Params: { jobId: string }; Querystring: { timeoutMs?: number } }>(
    "/jobs/:jobId/wait",
    {
      schema: {
        tags: ["jobs"],
        summary: "Block until the job is done or dead, or the timeout passes (finished: false)",
        params: idParam("jobId"),
        querystring: waitQuery,
        response: { 200: { type: "object", properties: { finished: { type: "boolean" }, job: jobSchema } }, ...errors },
      },
    },
    async (request) => request.ledger.jobs.wait(request.params.jobId, request.query.timeoutMs ?? 30_000),
  );

  app.post<{ Params: { jobId: string } }>(
    "/jobs/:jobId/retry",
    { schema: { tags: ["jobs"], summary: "Send a dead job back to the queue", params: idParam("jobId"), response: { 200: jobSchema, ...errors } } },
    async (request) => request.ledger.jobs.retry(request.params.jobId),
  );
}

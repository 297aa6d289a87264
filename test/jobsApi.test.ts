import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestionStep } from "../src/ingestion/ingestionStep.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** Any unit whose text is "poison" fails processing: the way to a dead job. */
const poisonStep: IngestionStep = {
  name: "embed",
  run: async (unit) => {
    if (unit.content?.text === "poison") throw new Error("embedder refused the text");
  },
};

describe("REST jobs API: async add, job status, wait, retry, scheduled commands", () => {
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  // Requests go as the admin of tenant acme (the helper adds its key; x-tenant-id picks the tenant).
  const headers = { "x-tenant-id": "acme" };

  beforeAll(async () => {
    const t = await tempLedger({
      jobBus: { kind: "sqlite", pollIntervalMs: 20, retryPolicy: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } },
      ingestionSteps: [poisonStep],
    });
    dispose = t.dispose;
    ({ app } = await authenticatedServer(t.ledger, t.dataDir));
    await call("POST", "/cubes", { cubeId: "alice", name: "Alice", owner: { kind: "user", id: "alice" } });
    await call("POST", "/cubes", { cubeId: "bob", name: "Bob", owner: { kind: "user", id: "bob" } });
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  const call = async (method: "GET" | "POST", url: string, payload?: unknown, extra: Record<string, string> = {}) => {
    const response = await app.inject({ method, url, headers: { ...headers, ...extra }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, location: response.headers.location, body: response.body ? JSON.parse(response.body) : undefined };
  };

  it("sync add answers 201 with the units already activated", async () => {
    const added = await call("POST", "/cubes/alice/add", { memories: [{ text: "Alice prefers green tea", tags: ["drinks"] }, { text: "Alice lives in Lyon" }] });
    expect(added.status).toBe(201);
    expect(added.location).toBeUndefined();
    expect(added.body.mode).toBe("sync");
    expect(added.body.memories.map((m: { content: { text: string }; status: string }) => [m.content.text, m.status])).toEqual([
      ["Alice prefers green tea", "activated"],
      ["Alice lives in Lyon", "activated"],
    ]);
  });

  it("async add answers 202 with a Location to the job; waiting on it returns the job done and the units activated", async () => {
    const added = await call("POST", "/cubes/alice/add", { mode: "async", memories: [{ text: "Alice works at ACME" }, { text: "Alice is allergic to nuts" }] });
    expect(added.status).toBe(202);
    const { memoryIds, job } = added.body as { memoryIds: string[]; job: { jobId: string } };
    expect(memoryIds).toHaveLength(2);
    expect(added.body.job).toMatchObject({ kind: "memory.ingest", cubeId: "alice", key: "alice", attempts: 0 });
    expect(added.location).toBe(`/jobs/${job.jobId}`);

    const waited = await call("GET", `${added.location}/wait?timeoutMs=10000`);
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({ finished: true, job: { jobId: job.jobId, status: "done", attempts: 1, result: { activated: memoryIds, skipped: [] } } });
    expect(waited.body.job.finishedAt).toEqual(expect.any(String));
    for (const id of memoryIds) expect((await call("GET", `/memories/${id}`)).body.status).toBe("activated");

    expect((await call("GET", added.location!)).body).toMatchObject({ jobId: job.jobId, status: "done" });
    const listed = await call("GET", "/jobs?cubeId=alice");
    expect(listed.status).toBe(200);
    expect(listed.body.jobs.map((j: { jobId: string }) => j.jobId)).toContain(job.jobId);
    expect(listed.body.jobs.every((j: { cubeId: string }) => j.cubeId === "alice")).toBe(true);
    expect((await call("GET", "/jobs?cubeId=bob")).body.jobs.map((j: { jobId: string }) => j.jobId)).not.toContain(job.jobId);
    expect((await call("GET", "/jobs?cubeId=alice&status=done&kind=memory.ingest&limit=1")).body.jobs).toHaveLength(1);
  });

  it("answers an unknown job id with a 404 that names it", async () => {
    for (const url of ["/jobs/no-such-job", "/jobs/no-such-job/wait?timeoutMs=0"]) {
      const unknown = await call("GET", url);
      expect(unknown).toMatchObject({ status: 404, body: { error: "JobNotFound", jobId: "no-such-job" } });
      expect(unknown.body.message).toContain("job no-such-job does not exist");
    }
    expect((await call("POST", "/jobs/no-such-job/retry")).status).toBe(404);
  });

  it("refuses to retry a done job with a 409, and retries a dead one", async () => {
    const ok = await call("POST", "/cubes/bob/add", { mode: "async", memories: [{ text: "Bob likes chess" }] });
    await call("GET", `${ok.location}/wait?timeoutMs=10000`);
    const refused = await call("POST", `${ok.location}/retry`);
    expect(refused).toMatchObject({ status: 409, body: { error: "JobNotRetriable", jobId: ok.body.job.jobId, status: "done" } });
    expect(refused.body.message).toContain("only dead jobs can be retried");

    const poisoned = await call("POST", "/cubes/bob/add", { mode: "async", memories: [{ text: "poison" }] });
    const dead = await call("GET", `${poisoned.location}/wait?timeoutMs=10000`);
    expect(dead.body).toMatchObject({ finished: true, job: { status: "dead", attempts: 2, maxAttempts: 2 } });
    expect(dead.body.job.lastError).toContain("failed at step embed: embedder refused the text");
    expect((await call("GET", `/memories/${poisoned.body.memoryIds[0]}`)).body).toMatchObject({ status: "generated", processingFailure: { error: "embed: embedder refused the text" } });
    const retried = await call("POST", `${poisoned.location}/retry`);
    expect(retried).toMatchObject({ status: 200, body: { jobId: poisoned.body.job.jobId, status: "waiting", attempts: 0 } });
  });

  it("a waited job that does not finish in time comes back with finished false", async () => {
    const unit = (await call("POST", "/cubes/bob/add", { memories: [{ text: "Bob's old phone number" }] })).body.memories[0];
    const later = await call("POST", `/memories/${unit.memoryId}/schedule`, { command: "freeze", at: "2100-01-01T00:00:00Z", freezeReason: "retention", note: "end of contract" });
    expect(later).toMatchObject({ status: 202, body: { kind: "memory.command", status: "waiting", notBefore: "2100-01-01T00:00:00.000Z" } });
    expect(later.body.payload).toMatchObject({ memoryId: unit.memoryId, command: "freeze", freezeReason: "retention", note: "end of contract" });
    const waited = await call("GET", `${later.location}/wait?timeoutMs=50`);
    expect(waited).toMatchObject({ status: 200, body: { finished: false, job: { status: "waiting", attempts: 0 } } });
  });

  it("schedules a command: afterSeconds 0 archives the unit as soon as a worker takes the job", async () => {
    const unit = (await call("POST", "/cubes/alice/add", { memories: [{ text: "Alice's old office address" }] })).body.memories[0];
    const scheduled = await call("POST", `/memories/${unit.memoryId}/schedule`, { command: "archive", afterSeconds: 0 }, { "x-reason": "moved offices" });
    expect(scheduled).toMatchObject({ status: 202, body: { kind: "memory.command", key: unit.memoryId, cubeId: "alice" } });
    expect(scheduled.location).toBe(`/jobs/${scheduled.body.jobId}`);
    const waited = await call("GET", `${scheduled.location}/wait?timeoutMs=10000`);
    expect(waited.body).toMatchObject({ finished: true, job: { status: "done", result: { applied: "archive", revision: 2 } } });
    expect((await call("GET", `/memories/${unit.memoryId}`)).body.status).toBe("archived");
    const archived = (await call("GET", `/memories/${unit.memoryId}/history`)).body.entries.at(-1);
    expect(archived).toMatchObject({ type: "MemoryArchived", actor: "system:scheduler", causationId: scheduled.body.jobId });
    expect(archived.reason).toContain("moved offices");
  });

  it("answers bad bodies and queries with a 400 that says what is wrong", async () => {
    const unit = (await call("POST", "/cubes/alice/add", { memories: [{ text: "x" }] })).body.memories[0];
    const schedule = (body: unknown) => call("POST", `/memories/${unit.memoryId}/schedule`, body);
    const cases: Array<[string, Promise<{ status: number; body: { error: string; message: string } }>, string, string]> = [
      ["unknown mode", call("POST", "/cubes/alice/add", { mode: "later", memories: [{ text: "x" }] }), "ValidationError", "body/mode must be one of \"sync\", \"async\""],
      ["empty memories", call("POST", "/cubes/alice/add", { memories: [] }), "ValidationError", "body/memories must NOT have fewer than 1 items"],
      ["no memories", call("POST", "/cubes/alice/add", {}), "ValidationError", "body/memories is required"],
      ["a cubeId inside an item", call("POST", "/cubes/alice/add", { memories: [{ text: "x", cubeId: "bob" }] }), "ValidationError", "must NOT have additional properties"],
      ["schedule without a time", schedule({ command: "archive" }), "InvalidRequest", "at or afterSeconds must be given"],
      ["schedule with two times", schedule({ command: "archive", at: "2100-01-01T00:00:00Z", afterSeconds: 5 }), "InvalidRequest", "not both"],
      ["schedule at a non-time", schedule({ command: "archive", at: "soon" }), "ValidationError", "body/at must be an ISO-8601 time with a time zone"],
      ["schedule a freeze without reason", schedule({ command: "freeze", afterSeconds: 5 }), "InvalidRequest", "freezeReason is required to schedule a freeze"],
      ["schedule an unknown command", schedule({ command: "explode", afterSeconds: 5 }), "ValidationError", "body/command must be one of \"archive\", \"freeze\", \"activate\""],
      ["schedule in negative seconds", schedule({ command: "archive", afterSeconds: -1 }), "ValidationError", "body/afterSeconds must be >= 0"],
      ["unknown status filter", call("GET", "/jobs?status=zombie"), "ValidationError", "querystring/status must be one of \"waiting\", \"running\", \"failed\", \"done\", \"dead\""],
      ["too long a wait", call("GET", "/jobs/whatever/wait?timeoutMs=500000"), "ValidationError", "querystring/timeoutMs must be <= 120000"],
    ];
    for (const [what, response, error, message] of cases) {
      const { status, body } = await response;
      expect(status, what).toBe(400);
      expect(body.error, what).toBe(error);
      expect(body.message, what).toContain(message);
    }
    expect(await call("POST", "/cubes/nobody/add", { mode: "async", memories: [{ text: "x" }] })).toMatchObject({ status: 404, body: { error: "CubeNotFound", cubeId: "nobody" } });
    expect(await call("POST", "/memories/nothing/schedule", { command: "archive", afterSeconds: 5 })).toMatchObject({ status: 404, body: { error: "MemoryNotFound", memoryId: "nothing" } });
  });

  it("an async add retried with the same Idempotency-Key returns the same units and the same job", async () => {
    const body = { mode: "async", memories: [{ text: "Alice's flight lands at 9" }] };
    const first = await call("POST", "/cubes/alice/add", body, { "idempotency-key": "add-42" });
    const second = await call("POST", "/cubes/alice/add", body, { "idempotency-key": "add-42" });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.job.jobId).toBe(first.body.job.jobId);
    expect(second.body.memoryIds).toEqual(first.body.memoryIds);
    expect(second.location).toBe(first.location);
    const other = await call("POST", "/cubes/alice/add", body, { "idempotency-key": "add-43" });
    expect(other.body.job.jobId).not.toBe(first.body.job.jobId);
  });

  it("documents the job routes in the OpenAPI document under the jobs tag", async () => {
    const { body } = await call("GET", "/openapi.json");
    expect(body.tags.map((t: { name: string }) => t.name)).toContain("jobs");
    const operations: Array<[string, string]> = [
      ["/memories/{memoryId}/schedule", "post"],
      ["/jobs", "get"],
      ["/jobs/{jobId}", "get"],
      ["/jobs/{jobId}/wait", "get"],
      ["/jobs/{jobId}/retry", "post"],
    ];
    for (const [path, method] of operations) expect(body.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(["jobs"]);
    // Adding is a memory operation that may hand back a job; it is documented with the memories.
    expect(body.paths["/cubes/{cubeId}/add"]?.post?.tags).toEqual(["memories"]);
    expect(Object.keys(body.paths["/cubes/{cubeId}/add"].post.responses)).toEqual(expect.arrayContaining(["201", "202", "400", "404"]));
  });
});

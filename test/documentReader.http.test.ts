import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { connectMemLedger } from "../src/client/index.js";
import { buildServer } from "../src/server/buildServer.js";
import { createPrincipal, expectStatus, grant, headPosition, send } from "./support/governanceFixtures.js";
import { tinyPdf } from "./support/tinyPdf.js";

/**
 * POST /cubes/:cubeId/documents over REST with authentication on: 201 sync and
 * 202 async (the job runs in this process, the chunks become searchable), 403
 * for a reader, 404 for another tenant, 422 for a malformed PDF and 413 past
 * the body limit, each refusal leaving the log as it was.
 */
let dataDir: string;
let ledger: MemLedger;
let app: FastifyInstance;
let adminA: string;
let adminB: string;
let reader: string;

async function adminOf(tenantId: string): Promise<string> {
  const keyFile = join(dataDir, `admin-${tenantId}.key`);
  await ledger.bootstrapAdmin(keyFile, tenantId);
  return readFileSync(keyFile, "utf8").trim();
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "memledger-documents-http-"));
  ledger = await openMemLedger({ dataDir, worker: { concurrency: 2 }, jobBus: { kind: "sqlite", pollIntervalMs: 20 } });
  app = await buildServer(ledger, { rateLimit: false });
  adminA = await adminOf("tenant-a");
  adminB = await adminOf("tenant-b");
  await expectStatus(app, 201, { method: "POST", url: "/cubes", payload: { cubeId: "library", name: "Library", owner: { kind: "project", id: "p" } } }, adminA);
  reader = (await createPrincipal(app, adminA, "reader", { scopes: ["read", "write"] })).token;
  await grant(app, adminA, "library", "reader", "read");
});

afterAll(async () => {
  await app?.close();
  await ledger?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Jobs started by earlier writes (chunking, and whatever follows new units) are finished, so the log's head stands still. */
async function settled(): Promise<number> {
  await expect.poll(async () => (await ledger.jobs.list()).filter((job) => job.status === "waiting" || job.status === "running").length, { timeout: 20_000, interval: 100 }).toBe(0);
  return headPosition(ledger);
}

const post = (payload: unknown, token: string, cubeId = "library") => send(app, { method: "POST", url: `/cubes/${cubeId}/documents`, payload }, { token });

describe("POST /cubes/:cubeId/documents", () => {
  it("sync HTML: 201 with the chunks, each located under its headings", async () => {
    const html = "<html><head><title>Recipes</title><script>track()</script></head><body><h1>Soups</h1><h2>Leek soup</h2><p>Sweat the leeks in butter for ten minutes.</p></body></html>";
    const response = await post({ mediaType: "text/html", content: html, async: false }, adminA);
    expect(response.statusCode).toBe(201);
    const body = response.json<{ mode: string; title: string; chunks: { memoryId: string; location: string }[] }>();
    expect(body).toMatchObject({ mode: "sync", title: "Recipes" });
    const leeks = body.chunks.find((c) => c.location.startsWith("Soups > Leek soup"))!;
    const unit = await expectStatus<{ content: { text: string; sources: { kind: string; note: string }[] } }>(app, 200, { method: "GET", url: `/memories/${leeks.memoryId}` }, adminA);
    expect(unit.content.text).toContain("Sweat the leeks");
    expect(unit.content.text).not.toContain("track()");
    expect(unit.content.sources[0]).toMatchObject({ kind: "document", note: leeks.location });
  });

  it("async PDF (the default): 202 with the job; once done, its chunks are found by search with their page", async () => {
    const pdf = await tinyPdf([["Chapter one: the harbour at night."], ["Chapter two: the quay master counts the boats."]]);
    const response = await post({ mediaType: "application/pdf", contentBase64: pdf.toString("base64"), documentId: "novel" }, adminA);
    expect(response.statusCode).toBe(202);
    const body = response.json<{ mode: string; pages: number; job: { jobId: string } }>();
    expect(response.headers.location).toBe(`/jobs/${body.job.jobId}`);
    expect(body).toMatchObject({ mode: "async", pages: 2 });
    await expect.poll(async () => (await expectStatus<{ status: string }>(app, 200, { method: "GET", url: `/jobs/${body.job.jobId}` }, adminA)).status, { timeout: 20_000, interval: 100 }).toBe("done");
    const found = await expectStatus<{ results: { memory: { content: { metadata: Record<string, unknown> } } }[] }>(app, 200, { method: "POST", url: "/search", payload: { query: "quay master boats", cubeIds: ["library"] } }, adminA);
    expect(found.results[0]!.memory.content.metadata).toMatchObject({ documentId: "novel", page: 2 });
  });

  it("the HTTP client adds a document the same way, and a typed error comes back as one", async () => {
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const client = await connectMemLedger(address, { apiKey: adminA });
    const result = await client.documents.add("library", { mediaType: "text/plain", content: "Otters hold hands while they sleep.", async: false, documentId: "otters" });
    if (result.mode !== "sync") throw new Error("expected sync");
    expect(result.chunks).toHaveLength(1);
    expect((await client.memories.get(result.chunks[0]!.memoryId)).content!.sources[0]).toMatchObject({ kind: "document", ref: "otters" });
    await expect(client.documents.add("library", { mediaType: "application/pdf", contentBase64: Buffer.from("%PDF-1.4 nonsense").toString("base64") })).rejects.toMatchObject({ status: 422 });
  });

  it("refuses a reader (403) and another tenant (404), writing nothing", async () => {
    const before = await settled();
    const asReader = await post({ mediaType: "text/plain", content: "a reader's document" }, reader);
    expect(asReader.statusCode).toBe(403);
    const fromB = await post({ mediaType: "text/plain", content: "tenant b's document" }, adminB);
    expect(fromB.statusCode).toBe(404);
    expect(fromB.json()).toMatchObject({ error: "CubeNotFound" });
    expect(await headPosition(ledger)).toBe(before);
  });

  it("a malformed PDF is a 422 naming the problem; a body past the limit a 413 saying how to split; nothing is written", async () => {
    const before = await settled();
    const broken = Buffer.concat([Buffer.from("%PDF-1.5\n1 0 obj\n<< /Type /Catalog"), Buffer.alloc(32, 0x20)]).toString("base64");
    const malformed = await post({ mediaType: "application/pdf", contentBase64: broken }, adminA);
    expect(malformed.statusCode).toBe(422);
    expect(malformed.json()).toMatchObject({ error: "DocumentUnreadable", mediaType: "application/pdf" });
    expect(malformed.json<{ message: string }>().message).toMatch(/the PDF cannot be read/);
    const huge = await post({ mediaType: "text/plain", content: "x".repeat(13 * 1024 * 1024) }, adminA);
    expect(huge.statusCode).toBe(413);
    expect(huge.json<{ message: string }>().message).toMatch(/limit is 12 MB for one document.*split the document/);
    const tooLong = await post({ mediaType: "text/plain", content: "word ".repeat(500_000) }, adminA);
    expect(tooLong.statusCode).toBe(413);
    expect(tooLong.json()).toMatchObject({ error: "DocumentTooLarge", limit: "maxCharacters", maximum: 2_000_000 });
    expect(await headPosition(ledger)).toBe(before);
  });
});

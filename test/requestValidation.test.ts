import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { memoryFilterLimits, memoryFilterSql } from "../src/readModels/memoryView/memoryFilterSql.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** Issue 11 (hardening), items 5, 6, 7, 8, 9 and 13: the REST server refuses bad requests with a 4xx that names the field, and writes nothing. */
describe("REST request validation", () => {
  let app: FastifyInstance;
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  // As the admin of tenant acme (the helper adds its key; x-tenant-id picks the tenant).
  const headers = { "x-tenant-id": "acme" };

  beforeAll(async () => {
    const t = await tempLedger();
    ledger = t.ledger;
    dispose = t.dispose;
    ({ app } = await authenticatedServer(t.ledger, t.dataDir));
    await call("POST", "/cubes", { cubeId: "v", name: "Validation", owner: { kind: "user", id: "alice" } });
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  type Method = "GET" | "POST" | "PATCH";
  async function call(method: Method, url: string, payload?: unknown, extra: Record<string, string> = {}) {
    const response = await app.inject({ method, url, headers: { ...headers, ...extra }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: response.statusCode, headers: response.headers, body: response.body ? JSON.parse(response.body) : undefined };
  }
  const logHead = async () => Math.max(...(await ledger.readModels.lag()).map((l) => l.head));
  const newMemory = async (text = "Alice prefers tea") => (await call("POST", "/memories", { cubeId: "v", text })).body as { memoryId: string; revision: number };
  /** Sends a request that must be refused, and checks that the log did not move. */
  async function refused(method: Method, url: string, payload?: unknown, extra: Record<string, string> = {}) {
    const before = await logHead();
    const response = await call(method, url, payload, extra);
    expect(await logHead(), `${method} ${url} wrote to the log`).toBe(before);
    return response;
  }

  describe("hardening #5: If-Match takes entity tags", () => {
    it("hardening #5: responses that return a memory carry its revision as a strong ETag", async () => {
      const created = await call("POST", "/memories", { cubeId: "v", text: "etag" });
      expect(created.headers.etag).toBe(`"${created.body.revision}"`);
      const read = await call("GET", `/memories/${created.body.memoryId}`);
      expect(read.headers.etag).toBe(`"${read.body.revision}"`);
      const edited = await call("PATCH", `/memories/${created.body.memoryId}`, { content: { text: "etag 2" } }, { "if-match": read.headers.etag as string });
      expect(edited.status).toBe(200);
      expect(edited.headers.etag).toBe(`"${edited.body.revision}"`);
      expect(edited.body.revision).toBeGreaterThan(read.body.revision);
    });

    it("hardening #5: a weak or stale tag is 412 PreconditionFailed and writes nothing", async () => {
      const unit = await newMemory();
      for (const ifMatch of [`W/"${unit.revision}"`, `"${unit.revision + 5}"`, `"abc"`, `"7", "8"`, `W/"${unit.revision}", "99"`]) {
        const response = await refused("PATCH", `/memories/${unit.memoryId}`, { content: { text: "changed" } }, { "if-match": ifMatch });
        expect(response, ifMatch).toMatchObject({ status: 412, body: { error: "PreconditionFailed", memoryId: unit.memoryId, actual: unit.revision } });
        expect(response.body.message).toContain("If-Match");
      }
      const archive = await refused("POST", `/memories/${unit.memoryId}/archive`, undefined, { "if-match": `W/"${unit.revision}"` });
      expect(archive.status).toBe(412);
    });

    it("hardening #5: an If-Match that cannot be parsed is a 400 naming the header", async () => {
      const unit = await newMemory();
      for (const ifMatch of ["abc", "1", `"1, 2"`, `"1`, `W/1`, `"1" "2"`, `*, "1"`, ","]) {
        const response = await refused("PATCH", `/memories/${unit.memoryId}`, { content: { text: "changed" } }, { "if-match": ifMatch });
        expect(response, ifMatch).toMatchObject({ status: 400, body: { error: "InvalidRequest", field: "if-match" } });
      }
    });

    it("hardening #5: * and a list holding the current tag let the write through", async () => {
      const unit = await newMemory();
      const star = await call("PATCH", `/memories/${unit.memoryId}`, { content: { text: "star" } }, { "if-match": "*" });
      expect(star.status).toBe(200);
      const list = await call("PATCH", `/memories/${unit.memoryId}`, { content: { text: "list" } }, { "if-match": `"99", W/"1", "${star.body.revision}"` });
      expect(list).toMatchObject({ status: 200, body: { revision: star.body.revision + 1 } });
      expect((await call("PATCH", "/memories/no-such-unit", { content: { text: "x" } }, { "if-match": "*" })).status).toBe(404);
    });

    it("hardening #5: the body's expectedRevision keeps its 409 RevisionMismatch", async () => {
      const unit = await newMemory();
      const stale = await refused("POST", `/memories/${unit.memoryId}/archive`, { expectedRevision: unit.revision + 3 });
      expect(stale).toMatchObject({ status: 409, body: { error: "RevisionMismatch" } });
      const both = await refused("POST", `/memories/${unit.memoryId}/archive`, { expectedRevision: unit.revision + 3 }, { "if-match": `"${unit.revision + 3}"` });
      expect(both).toMatchObject({ status: 409, body: { error: "RevisionMismatch" } });
      const staleHeader = await refused("POST", `/memories/${unit.memoryId}/archive`, { expectedRevision: unit.revision }, { "if-match": `"${unit.revision + 3}"` });
      expect(staleHeader).toMatchObject({ status: 412, body: { error: "PreconditionFailed" } });
    });
  });

  describe("hardening #6: filter sizes are bounded", () => {
    it("hardening #6: a metadata filter with 999 keys is a 400 saying the limit, not a 500", async () => {
      await newMemory("Alice drinks tea in the morning");
      const metadata = Object.fromEntries(Array.from({ length: 999 }, (_, i) => [`k${i}`, i]));
      const response = await call("POST", "/search", { query: "tea", cubeIds: ["v"], filters: { metadata } });
      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/metadata/);
      expect(response.body.message).toMatch(/50/);
    });

    it("hardening #6: tags, memory types and cube ids are bounded too", async () => {
      const many = Array.from({ length: 1_000 }, (_, i) => `t${i}`);
      for (const filters of [{ tags: many }, { memoryTypes: many.map((t) => `custom:${t}`) }]) {
        const response = await call("POST", "/search", { query: "tea", cubeIds: ["v"], filters });
        expect(response.status, JSON.stringify(Object.keys(filters))).toBe(400);
        expect(response.body.message).toMatch(/at most \d+|more than \d+/);
      }
      expect((await call("POST", "/search", { query: "tea", cubeIds: many })).status).toBe(400);
    });

    it("hardening #6: the library refuses oversized filters with InvalidSearch naming the limit", async () => {
      const metadata = Object.fromEntries(Array.from({ length: 999 }, (_, i) => [`k${i}`, i]));
      await expect(ledger.search({ query: "tea", cubeIds: ["v"], filters: { metadata } })).rejects.toMatchObject({ _tag: "InvalidSearch", field: "filters.metadata" });
      const tags = Array.from({ length: 5_000 }, (_, i) => `t${i}`);
      await expect(ledger.search({ query: "tea", cubeIds: ["v"], filters: { tags } })).rejects.toMatchObject({ _tag: "InvalidSearch", field: "filters.tags" });
    });

    it("hardening #6: metadata, tag and type filters sent as one JSON parameter keep their meaning", async () => {
      await call("POST", "/cubes", { cubeId: "meta", name: "Metadata", owner: { kind: "user", id: "alice" } });
      const make = async (name: string, extra: object) => (await call("POST", "/memories", { cubeId: "meta", text: `note ${name}`, ...extra })).body.memoryId as string;
      const a = await make("a", { metadata: { flag: true, n: 3, s: "x", z: null, "a.b": "dot", 'q"uote': 1 }, tags: ["red"], memoryType: "preference" });
      const b = await make("b", { metadata: { flag: false, n: "3", s: "y" }, tags: ["blue", "green"] });
      const c = await make("c", { metadata: {} });
      const found = async (filters: object) =>
        ((await call("POST", "/search", { query: "note", cubeIds: ["meta"], mode: "bm25", filters })).body.results as { memory: { memoryId: string } }[]).map((r) => r.memory.memoryId).sort();
      expect(await found({ metadata: { flag: true } })).toEqual([a]);
      expect(await found({ metadata: { flag: false } })).toEqual([b]);
      expect(await found({ metadata: { n: 3 } })).toEqual([a]);
      expect(await found({ metadata: { n: "3" } })).toEqual([b]);
      expect(await found({ metadata: { z: null } })).toEqual([a]);
      expect(await found({ metadata: { "a.b": "dot", 'q"uote': 1, s: "x" } })).toEqual([a]);
      expect(await found({ metadata: { s: "x", flag: false } })).toEqual([]);
      expect(await found({ metadata: {} })).toEqual([a, b, c].sort());
      expect(await found({ tags: ["green", "red"] })).toEqual([a, b].sort());
      expect(await found({ memoryTypes: ["preference"] })).toEqual([a]);
      expect(await found({ statuses: ["activated", "activated"] })).toEqual([a, b, c].sort());
    });

    it("hardening #6: memoryFilterSql refuses a filter past its limits instead of building a statement of any size", () => {
      const metadata = Object.fromEntries(Array.from({ length: memoryFilterLimits.metadataFields + 1 }, (_, i) => [`k${i}`, i]));
      expect(() => memoryFilterSql({ metadata }, undefined)).toThrow(/metadataFields is over its limit/);
      expect(() => memoryFilterSql({ tags: Array.from({ length: memoryFilterLimits.tags + 1 }, (_, i) => `t${i}`) }, undefined)).toThrow(/tags/);
      const atLimit = memoryFilterSql({ metadata: Object.fromEntries(Array.from({ length: memoryFilterLimits.metadataFields }, (_, i) => [`k${i}`, i])) }, undefined);
      expect(atLimit.params.length).toBe(2 + 2 * memoryFilterLimits.metadataFields);
    });

    it("hardening #6: a status list repeated many times in a query string still answers", async () => {
      const status = Array.from({ length: 2_000 }, () => "activated").join(",");
      const response = await call("GET", `/cubes/v/memories?status=${status}`);
      expect(response.status).toBeLessThan(500);
    });
  });

  describe("hardening #7: one time parser for every route", () => {
    const badTimes = ["yesterday", "2026-02-30T00:00:00Z", "2025-02-29T12:00:00Z", "10000-01-01T00:00:00Z", "2026-03-03T12:00:00", "2026-03-03", "2026-13-01T00:00:00Z"];

    it("hardening #7: an invalid asOfTime on a memory is a 400 naming asOfTime, not a 404", async () => {
      const unit = await newMemory();
      for (const time of badTimes) {
        const response = await call("GET", `/memories/${unit.memoryId}?asOfTime=${encodeURIComponent(time)}`);
        expect(response, time).toMatchObject({ status: 400, body: { error: "ValidationError" } });
        expect(response.body.message).toContain("asOfTime");
        expect(response.body.message).toContain("time zone");
      }
      const fine = await call("GET", `/memories/${unit.memoryId}?asOfTime=${encodeURIComponent("2099-01-01T01:00:00+01:00")}`);
      expect(fine.status).toBe(200);
    });

    it("hardening #7: every route that takes a time refuses the same bad times, naming the field", async () => {
      const unit = await newMemory();
      const routes: Array<[Method, string, (time: string) => unknown, string]> = [
        ["GET", "/cubes/v/memories?asOf=", () => undefined, "asOf"],
        ["POST", "/cubes/v/rollback", (toTime) => ({ toTime }), "toTime"],
        ["POST", "/cubes/v/branch", (asOf) => ({ asOf }), "asOf"],
        ["POST", "/memories", (eventTime) => ({ cubeId: "v", text: "t", eventTime }), "eventTime"],
        ["PATCH", `/memories/${unit.memoryId}`, (eventTime) => ({ attributes: { eventTime } }), "eventTime"],
        ["POST", `/memories/${unit.memoryId}/schedule`, (at) => ({ command: "archive", at }), "at"],
        ["POST", "/cubes/v/retention-sweeps", (at) => ({ olderThanDays: 1, at }), "at"],
        ["POST", "/search", (time) => ({ query: "tea", cubeIds: ["v"], asOf: { time } }), "asOf"],
        ["POST", "/search", (createdFrom) => ({ query: "tea", cubeIds: ["v"], filters: { createdFrom } }), "createdFrom"],
      ];
      for (const [method, url, body, field] of routes) {
        for (const time of badTimes) {
          const target = url.endsWith("=") ? `${url}${encodeURIComponent(time)}` : url;
          const response = await refused(method, target, body(time));
          expect(response.status, `${method} ${url} ${time}`).toBe(400);
          expect(response.body.message, `${method} ${url} ${time}`).toContain(field);
        }
      }
    });
  });

  describe("hardening #8: docs and schema agree", () => {
    it("hardening #8: POST /search accepts the documented weights and rrfK", async () => {
      await newMemory("Alice drinks green tea");
      const response = await call("POST", "/search", { query: "tea", cubeIds: ["v"], weights: { vector: 0, bm25: 1, graph: 0.2 }, rrfK: 30 });
      expect(response.status).toBe(200);
      expect(response.body.results.length).toBeGreaterThan(0);
      expect((await call("POST", "/search", { query: "tea", cubeIds: ["v"], rrfK: 0 })).status).toBe(400);
      expect((await call("POST", "/search", { query: "tea", cubeIds: ["v"], weights: { bm25: -1 } })).status).toBe(400);
    });
  });

  describe("hardening #9: no silent coercion", () => {
    it("hardening #9: wrong types in bodies are a 400 naming the field, and nothing is written", async () => {
      const unit = await newMemory();
      const cases: Array<[Method, string, unknown, string]> = [
        ["POST", "/cubes", { name: 123, owner: { kind: "user", id: "alice" } }, "name"],
        ["POST", "/memories", { cubeId: "v", text: 123 }, "text"],
        ["POST", "/memories", { cubeId: "v", text: "x", tags: "solo" }, "tags"],
        ["POST", "/memories", { cubeId: "v", text: "x", activate: "false" }, "activate"],
        ["PATCH", `/memories/${unit.memoryId}`, { content: { text: ["a"] } }, "content/text"],
        ["POST", `/memories/${unit.memoryId}/revert`, { toRevision: "1" }, "toRevision"],
        ["POST", "/search", { query: "tea", cubeIds: "v" }, "cubeIds"],
      ];
      for (const [method, url, body, field] of cases) {
        const response = await refused(method, url, body);
        expect(response, `${method} ${url} ${JSON.stringify(body)}`).toMatchObject({ status: 400, body: { error: "ValidationError" } });
        expect(response.body.message).toContain(field);
      }
      expect((await call("GET", `/memories/${unit.memoryId}`)).body.content.text).toBe("Alice prefers tea");
    });

    it("hardening #9: query strings are still read as numbers", async () => {
      const unit = await newMemory();
      expect((await call("GET", `/memories/${unit.memoryId}?asOfRevision=0`)).status).toBe(200);
      expect((await call("GET", "/jobs?limit=5")).status).toBe(200);
    });

    it("hardening #9: an unknown status in a cube listing is a 400 listing the allowed values", async () => {
      const response = await call("GET", "/cubes/v/memories?status=activated,bogus");
      expect(response).toMatchObject({ status: 400, body: { error: "ValidationError" } });
      expect(response.body.message).toContain("status");
      for (const status of ["generated", "activated", "merged", "archived", "frozen", "erased"]) expect(response.body.message).toContain(status);
      expect((await call("GET", "/cubes/v/memories?status=activated,archived")).status).toBe(200);
    });

    it("hardening #9: asOfRevision past the head is a 400 saying the head revision", async () => {
      const unit = await newMemory();
      const response = await call("GET", `/memories/${unit.memoryId}?asOfRevision=${unit.revision + 1}`);
      expect(response).toMatchObject({ status: 400, body: { error: "InvalidRequest", field: "asOfRevision", headRevision: unit.revision } });
      expect(response.body.message).toContain(`revision ${unit.revision}`);
      expect((await call("GET", `/memories/${unit.memoryId}?asOfRevision=${unit.revision}`)).status).toBe(200);
    });

    it("hardening #9: asOfPosition=1e300 is a 400", async () => {
      const unit = await newMemory();
      for (const url of [`/memories/${unit.memoryId}?asOfPosition=1e300`, `/memories/${unit.memoryId}?asOfRevision=1e300`, "/cubes/v/memories?asOfPosition=1e300"]) {
        const response = await call("GET", url);
        expect(response, url).toMatchObject({ status: 400, body: { error: "ValidationError" } });
      }
    });
  });

  describe("hardening #13: 413, 414 and 415 say the limit and what to send", () => {
    it("hardening #13: a body over the limit is a 413 PayloadTooLarge naming the size and the limit", async () => {
      const before = await logHead();
      const text = "x".repeat(3 * 1024 * 1024);
      const response = await call("POST", "/memories", { cubeId: "v", text });
      expect(response).toMatchObject({ status: 413, body: { error: "PayloadTooLarge", limitBytes: 2 * 1024 * 1024 } });
      expect(response.body.message).toContain("3.0 MB");
      expect(response.body.message).toContain("2 MB");
      expect(response.body.message).toMatch(/async/);
      expect(await logHead()).toBe(before);
    });

    it("hardening #13: a body that is not JSON is a 415 UnsupportedMediaType saying to send application/json", async () => {
      const before = await logHead();
      const response = await app.inject({ method: "POST", url: "/memories", headers: { ...headers, "content-type": "text/plain" }, payload: "remember this" });
      expect(response.statusCode).toBe(415);
      const body = JSON.parse(response.body);
      expect(body.error).toBe("UnsupportedMediaType");
      expect(body.message).toContain("text/plain");
      expect(body.message).toContain("application/json");
      expect(await logHead()).toBe(before);
    });

    it("a JSON body of only whitespace is not JSON: 400 InvalidJson before the memory is even looked at; a truly empty body is an empty object", async () => {
      const memory = await newMemory("whitespace body");
      const before = await logHead();
      for (const payload of ["\n", "  ", "\t\r\n"]) {
        const response = await app.inject({ method: "PATCH", url: `/memories/${memory.memoryId}`, headers: { ...headers, "content-type": "application/json" }, payload });
        expect(response.statusCode, JSON.stringify(payload)).toBe(400);
        expect(JSON.parse(response.body).error).toBe("InvalidJson");
      }
      expect(await logHead()).toBe(before);
      const empty = await app.inject({ method: "POST", url: `/memories/${memory.memoryId}/archive`, headers: { ...headers, "content-type": "application/json" }, payload: "" });
      expect(empty.statusCode).toBe(200);
    });

    it("hardening #13: a path parameter over the limit is a 414 UriTooLong saying the limit", async () => {
      const response = await call("GET", `/memories/${"m".repeat(300)}`);
      expect(response).toMatchObject({ status: 414, body: { error: "UriTooLong" } });
      expect(response.body.message).toContain("200");
      const badUrl = await call("GET", "/memories/%E0%A4%A");
      expect(badUrl).toMatchObject({ status: 400, body: { error: "InvalidUrl" } });
      // Ids up to the schema's 200 characters reach the route.
      expect((await call("GET", `/memories/${"m".repeat(150)}`)).body.error).toBe("MemoryNotFound");
    });
  });
});

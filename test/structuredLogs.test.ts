import { Effect } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, logger, useLogger } from "../src/logging/logger.js";
import { buildServer } from "../src/server/buildServer.js";
import { KeyRing } from "../src/crypto/keyRing.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { startProjectionRunner } from "../src/readModels/projectionRunner.js";
import { tempLedger } from "./support/tempLedger.js";

/** JSON lines captured from a pino destination. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, lines: () => chunks.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("request ids", () => {
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempLedger();
    dispose = t.dispose;
    app = await buildServer(t.ledger, { rateLimit: false });
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  it("a response echoes the request id it was given when well formed", async () => {
    const answer = await app.inject({ method: "GET", url: "/health/live", headers: { "x-request-id": "trace-abc_123:7" } });
    expect(answer.headers["x-request-id"]).toBe("trace-abc_123:7");
  });

  it("a malformed or missing id is replaced by a fresh UUID, also on refusals", async () => {
    const forged = await app.inject({ method: "GET", url: "/cubes", headers: { "x-request-id": "bad id\"with quotes" } });
    expect(forged.statusCode).toBe(401);
    expect(forged.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const none = await app.inject({ method: "GET", url: "/no/such/route" });
    expect(none.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const tooLong = await app.inject({ method: "GET", url: "/health/live", headers: { "x-request-id": "a".repeat(129) } });
    expect(tooLong.headers["x-request-id"]).not.toBe("a".repeat(129));
  });

  it("the request log lines carry the request id", async () => {
    const t = await tempLedger();
    const out = capture();
    const logged = await buildServer(t.ledger, { rateLimit: false, loggerInstance: createLogger(out.stream) });
    try {
      await logged.inject({ method: "GET", url: "/health/live", headers: { "x-request-id": "req-42" } });
      const lines = out.lines().filter((l) => l.reqId === "req-42");
      expect(lines.length).toBeGreaterThanOrEqual(2); // incoming request, request completed
      for (const line of lines) expect(line).toMatchObject({ level: expect.any(Number), msg: expect.any(String) });
    } finally {
      await logged.close();
      await t.dispose();
    }
  });
});

describe("background logs", () => {
  it("a background part's warning is a JSON line with its level, component and message", async () => {
    const out = capture();
    const previous = useLogger(createLogger(out.stream));
    try {
      // The projection runner's default error report (src/readModels/projectionRunner.ts) goes through this logger.
      logger("readModels").warn("memledger read model memoryView: Error: disk full");
    } finally {
      useLogger(previous);
    }
    expect(out.lines()).toEqual([expect.objectContaining({ level: 40, component: "readModels", msg: "memledger read model memoryView: Error: disk full", name: "memledger" })]);
  });

  it("the projection runner's failure report (no onError given) is such a line, its message kept", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "memledger-logs-"));
    const store = openSqliteEventStore({ path: join(dataDir, "events.db") });
    const keyRing = new KeyRing(openSqliteKeyStore(join(dataDir, "keys", "keys.db")));
    const out = capture();
    const previous = useLogger(createLogger(out.stream));
    const runner = await startProjectionRunner({
      eventStore: store,
      keyRing,
      directory: join(dataDir, "readmodels"),
      definitions: [{ name: "graph", open: async () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:7687")) }],
    });
    try {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && out.lines().length === 0) await new Promise((r) => setTimeout(r, 50));
      expect(out.lines()[0]).toMatchObject({ level: 40, component: "readModels", msg: "memledger read model graph: Error: connect ECONNREFUSED 127.0.0.1:7687" });
    } finally {
      await runner.stop();
      useLogger(previous);
      await Effect.runPromise(store.close());
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/main.js";
import { connectMemLedger } from "../src/client/httpClient.js";
import type { CubeRedactionView, UnredactedRecordView } from "../src/redaction/redactionService.js";
import { buildServer } from "../src/server/buildServer.js";
import { tempLedger } from "./support/tempLedger.js";

const email = "olwen.trask@example.net";

describe("redaction over REST, through the HTTP client, and from the CLI", () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it("PUT/GET /cubes/:cubeId/redaction, GET /memories/:id/redaction and /unredacted; a writer's key is refused the originals (403)", async () => {
    const t = await tempLedger();
    await t.ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    const app: FastifyInstance = await buildServer(t.ledger);
    cleanup = async () => {
      await app.close();
      await t.dispose();
    };
    const baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    const admin = await connectMemLedger(baseUrl, { apiKey: readFileSync(join(t.dataDir, "admin.key"), "utf8").trim() });
    await admin.governance.createPrincipal({ principalId: "wendy", kind: "user", roles: ["writer"] });
    const wendyKey = await admin.governance.issueKey("wendy", { scopes: ["read", "write", "admin"] });
    const wendy = await connectMemLedger(baseUrl, { apiKey: wendyKey.token });

    await admin.cubes.create({ cubeId: "c1", name: "support", owner: { kind: "project", id: "helpdesk" } });
    const bad = await app.inject({ method: "PUT", url: "/cubes/c1/redaction", payload: { enabled: true, kinds: ["ssn"] }, headers: { authorization: `Bearer ${readFileSync(join(t.dataDir, "admin.key"), "utf8").trim()}` } });
    expect(bad.statusCode).toBe(400);
    expect(await admin.redaction.configure("c1", { enabled: true, keepOriginal: "sealed", kinds: ["email", "phone"] })).toMatchObject({ cubeId: "c1", enabled: true, keepOriginal: "sealed", kinds: ["email", "phone"] });
    expect((await wendy.redaction.settings("c1")).enabled).toBe(true);

    const unit = await wendy.memories.create({ cubeId: "c1", text: `Mail ${email} or call +1 415 555 2671` });
    expect(unit.content?.text).toBe("Mail [EMAIL] or call [PHONE]");
    expect((await wendy.redaction.explain(unit.memoryId))[0]).toMatchObject({ operation: "create", kinds: { email: 1, phone: 1 }, fields: ["text"], keepOriginal: "sealed" });
    await expect(wendy.redaction.originals(unit.memoryId)).rejects.toMatchObject({ status: 403 });
    const [record] = await admin.redaction.originals(unit.memoryId);
    expect(record).toMatchObject({ originalState: "sealed", original: { text: `Mail ${email} or call +1 415 555 2671` } });
  });

  it("memledger cube redaction set|show|explain|originals on a data directory", async () => {
    const t = await tempLedger();
    await t.ledger.close();
    cleanup = async () => t.dispose().catch(() => undefined);
    const cli = async (...args: string[]) => {
      let out = "";
      let err = "";
      const code = await runCli(["--data-dir", t.dataDir, "--tenant", "acme", "--actor", "user:operator", ...args], { out: (s) => (out += s), err: (s) => (err += s) });
      return { code, out, err };
    };
    const json = async <T>(...args: string[]): Promise<T> => {
      const run = await cli("--json", ...args);
      expect(run, run.err).toMatchObject({ code: 0, err: "" });
      return JSON.parse(run.out) as T;
    };
    await json("cube", "create", "support", "--owner-kind", "project", "--owner-id", "helpdesk", "--id", "c1");
    const set = await json<CubeRedactionView>("cube", "redaction", "set", "c1", "--enable", "--keep-original", "sealed", "--kinds", "email,ip", "--metadata");
    expect(set).toMatchObject({ cubeId: "c1", enabled: true, keepOriginal: "sealed", kinds: ["email", "ip"], metadata: true, configuredBy: "user:operator" });
    const shown = await cli("cube", "redaction", "show", "c1");
    expect(shown.out).toContain("redaction on");
    expect(shown.out).toContain("email, ip");

    const unit = await json<{ memoryId: string; content: { text: string } }>("memory", "add", "c1", `from 198.51.100.4 by ${email}`);
    expect(unit.content.text).toBe("from [IP] by [EMAIL]");
    const explained = await cli("cube", "redaction", "explain", unit.memoryId);
    expect(explained.out).toContain("email ×1, ip ×1 in text (original sealed)");
    expect(explained.out).not.toContain(email);
    const [original] = await json<UnredactedRecordView[]>("cube", "redaction", "originals", unit.memoryId);
    expect(original!.original).toEqual({ text: `from 198.51.100.4 by ${email}` });

    const off = await json<CubeRedactionView>("cube", "redaction", "set", "c1", "--disable");
    expect(off.enabled).toBe(false);
    expect((await cli("cube", "redaction", "set", "c1")).code).not.toBe(0);
  });
});

import type { FastifyInstance } from "fastify";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../src/server/buildServer.js";
import type { SubjectExportDocument } from "../src/subjectExport/subjectExportDocument.js";
import { subjectExportFixture, type SubjectExportFixture } from "./support/subjectExportFixture.js";
import { runCliCaptured } from "./support/cliRun.js";

const run = runCliCaptured;

describe("memledger subject export", () => {
  let f: SubjectExportFixture;
  let app: FastifyInstance;
  let server: string;
  let outDir: string;
  let dpoKey: string;
  let opsKey: string;
  let ledgerOpen = true;
  const aliceUnits = () => [f.units.edited, f.units.sourced, f.units.erased].sort();

  beforeAll(async () => {
    f = await subjectExportFixture();
    dpoKey = (await f.admin.governance.issueKey("dpo", { scopes: ["admin"] })).token;
    opsKey = (await f.admin.governance.issueKey("ops", { scopes: ["admin"] })).token;
    app = await buildServer(f.ledger, { rateLimit: false });
    server = await app.listen({ host: "127.0.0.1", port: 0 });
    outDir = mkdtempSync(join(tmpdir(), "memledger-export-cli-"));
  });
  afterAll(async () => {
    await app.close();
    if (ledgerOpen) await f.dispose();
    else rmSync(f.dataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  it("by default writes the whole export as a JSON file only its owner may read, and prints the summary", async () => {
    const file = join(outDir, "alice.json");
    const done = await run(["--server", server, "--api-key", dpoKey, "subject", "export", "alice", "--out", file]);
    expect(done, done.err).toMatchObject({ code: 0, err: "" });
    expect(done.out).toContain("# Subject access export: alice");
    expect(done.out).toContain(`written to ${file}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(file, "utf8")) as SubjectExportDocument;
    expect(written.memories.map((m) => m.memoryId).sort()).toEqual(aliceUnits());
    expect(written.requestedBy).toBe("dpo");
    expect(new Set(written.reads.map((r) => r.principalId))).toEqual(new Set(["carol", "dave"]));
  });

  it("--format json prints the document and writes no file; pages are joined into one", async () => {
    const done = await run(["--server", server, "--api-key", dpoKey, "subject", "export", "alice", "--format", "json"]);
    expect(done, done.err).toMatchObject({ code: 0, err: "" });
    const printed = JSON.parse(done.out) as SubjectExportDocument;
    expect(printed.memories.map((m) => m.memoryId).sort()).toEqual(aliceUnits());
    expect(existsSync("subject-export-alice.json")).toBe(false);
    const onePage = JSON.parse((await run(["--server", server, "--api-key", dpoKey, "subject", "export", "alice", "--format", "json", "--limit", "1"])).out) as SubjectExportDocument;
    expect(onePage.memories).toHaveLength(1);
    expect(onePage.page.nextCursor).toBe(onePage.memories[0]!.memoryId);
  });

  it("--format summary prints the summary only", async () => {
    const done = await run(["--server", server, "--api-key", dpoKey, "subject", "export", "alice", "--format", "summary"]);
    expect(done, done.err).toMatchObject({ code: 0, err: "" });
    expect(done.out).toContain("- memories: 3 in this page of 3 (1 erased)");
    expect(done.out).not.toContain("written to");
  });

  it("a tenant admin without the DPO role is refused (exit 2) and nothing is written", async () => {
    const file = join(outDir, "refused.json");
    const done = await run(["--server", server, "--api-key", opsKey, "subject", "export", "alice", "--out", file]);
    expect(done.code).toBe(2);
    expect(done.err).toContain("subject.export");
    expect(existsSync(file)).toBe(false);
  });

  it("the local operator exports from the data directory, and is in the read audit", async () => {
    await app.close();
    await f.ledger.close();
    ledgerOpen = false;
    const done = await run(["--data-dir", f.dataDir, "--tenant", "default", "--actor", "system:cli:dpo-desk", "subject", "export", "alice", "--format", "json"]);
    expect(done, done.err).toMatchObject({ code: 0, err: "" });
    const printed = JSON.parse(done.out) as SubjectExportDocument;
    expect(printed.memories.map((m) => m.memoryId).sort()).toEqual(aliceUnits());
    expect(printed.requestedBy).toBe("system:cli:dpo-desk");
    const audit = await run(["--data-dir", f.dataDir, "--tenant", "default", "--json", "audit", "reads-by", "system:cli:dpo-desk"]);
    expect(audit, audit.err).toMatchObject({ code: 0 });
    expect(audit.out).toContain('"action": "export"');
  });
});

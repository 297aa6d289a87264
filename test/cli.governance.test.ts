import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CubeGrant, PrincipalState } from "../domain/governance/accessState.js";
import type { MemoryView } from "../projections/memoryView.js";
import type { ApiKeyView } from "../src/app/ledgerApi.js";
import { openMemLedger } from "../src/app/memLedger.js";
import type { IssuedKey } from "../src/governance/governanceService.js";
import type { StoredReadRecord } from "../src/readAudit/readAuditPort.js";
import { buildServer } from "../src/server/buildServer.js";
import { runCliCaptured, type CliRun } from "./support/cliRun.js";

const run = runCliCaptured;

describe("the memledger CLI's governance commands on an embedded data directory", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-gov-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** The trusted local operator: no key, the root ledger. */
  const operator = (...args: string[]) => run(["--data-dir", dataDir, "--tenant", "acme", ...args]);
  /** The principal of `key`, in-process. */
  const withKey = (key: string, ...args: string[]) => run(["--data-dir", dataDir, "--api-key", key, ...args]);
  const json = async <T>(runner: Promise<CliRun>): Promise<T> => {
    const done = await runner;
    expect(done, done.err).toMatchObject({ code: 0, err: "" });
    return JSON.parse(done.out) as T;
  };

  it("manages principals: create, list, show, roles, groups, disable and enable", async () => {
    const created = await json<PrincipalState>(operator("--json", "principal", "create", "bob", "--kind", "user", "--role", "reader", "--group", "support", "--name", "Bob"));
    expect(created).toMatchObject({ tenantId: "acme", principalId: "bob", kind: "user", displayName: "Bob", roles: ["reader"], groups: ["support"], disabled: false });

    const listed = await operator("principal", "list");
    expect(listed.out).toMatch(/PRINCIPAL\s+KIND\s+ROLES\s+GROUPS\s+STATE/);
    expect(listed.out).toMatch(/bob\s+user\s+reader\s+support\s+enabled/);
    expect((await operator("principal", "show", "bob")).out).toContain("principal bob  (user)");

    expect((await json<PrincipalState>(operator("--json", "principal", "grant-role", "bob", "auditor"))).roles).toEqual(["reader", "auditor"]);
    expect((await json<PrincipalState>(operator("--json", "principal", "revoke-role", "bob", "reader"))).roles).toEqual(["auditor"]);
    expect((await json<PrincipalState>(operator("--json", "principal", "join-group", "bob", "ops"))).groups).toEqual(["support", "ops"]);
    expect((await json<PrincipalState>(operator("--json", "principal", "leave-group", "bob", "support"))).groups).toEqual(["ops"]);
    expect((await operator("principal", "disable", "bob")).out).toContain("(user, disabled)");
    expect((await json<PrincipalState>(operator("--json", "principal", "enable", "bob"))).disabled).toBe(false);

    const badRole = await operator("principal", "grant-role", "bob", "superuser");
    expect(badRole.code).toBe(2);
    expect(badRole.err).toContain("tenant_admin");
    const missing = await operator("principal", "show", "nobody");
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("nobody is not a principal of tenant acme");
    expect((await operator("whoami")).out).toContain("principal system");
  });

  it("issues a key shown once, acts as its principal in-process, grants a cube, and audits who read", async () => {
    await operator("principal", "create", "bob", "--kind", "user");
    await operator("cube", "create", "Notes", "--owner-kind", "user", "--owner-id", "bob", "--id", "notes");
    const unit = await json<MemoryView>(operator("--json", "memory", "add", "notes", "Bob's locker code is 1234"));

    const issued = await operator("key", "issue", "bob", "--scope", "read", "--scope", "write");
    expect(issued.code, issued.err).toBe(0);
    expect(issued.out).toContain("shown once");
    // The key stands alone on the third line, between blank lines, so it can be copied whole.
    const token = issued.out.split("\n")[2]!.trim();
    expect(token).toMatch(/^\S{20,}$/);
    const keys = await json<ApiKeyView[]>(operator("--json", "key", "list", "--principal", "bob"));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ principalId: "bob", scopes: ["read", "write"], revoked: false });
    expect(JSON.stringify(keys)).not.toContain(token);

    expect((await withKey(token, "whoami")).out).toContain("principal bob  (user)");
    const refused = await withKey(token, "memory", "get", unit.memoryId);
    expect(refused.code).toBe(2);
    const forbidden = await withKey(token, "principal", "create", "eve", "--kind", "user");
    expect(forbidden.code).toBe(2);
    expect(forbidden.err).toMatch(/principal\.manage|tenant_admin/);

    const grants = await json<CubeGrant[]>(operator("--json", "grant", "cube", "notes", "--to", "principal:bob", "--permission", "read"));
    expect(grants).toEqual([{ grantee: { kind: "principal", id: "bob" }, permission: "read" }]);
    expect((await operator("grant", "list", "notes")).out).toMatch(/notes\s+principal:bob\s+read/);
    const read = await withKey(token, "--json", "memory", "get", unit.memoryId);
    expect(read, read.err).toMatchObject({ code: 0 });
    expect((JSON.parse(read.out) as MemoryView).content?.text).toBe("Bob's locker code is 1234");

    const whoRead = await json<StoredReadRecord[]>(operator("--json", "audit", "who-read", unit.memoryId));
    expect(whoRead.find((r) => r.principalId === "bob")).toMatchObject({ action: "memory.get", memoryIds: [unit.memoryId] });
    expect((await operator("audit", "reads-by", "bob", "--limit", "5")).out).toMatch(/memory\.get/);

    expect(await json<CubeGrant[]>(operator("--json", "grant", "revoke", "notes", "--to", "principal:bob", "--permission", "read"))).toEqual([]);
    const badGrantee = await operator("grant", "cube", "notes", "--to", "bob", "--permission", "read");
    expect(badGrantee.code).toBe(2);
    expect(badGrantee.err).toContain("principal:<id> or group:<name>");

    expect((await operator("key", "revoke", keys[0]!.keyId)).out).toContain("revoked");
    const revoked = await withKey(token, "whoami");
    expect(revoked.code).toBe(2);
    expect(revoked.err).toContain("error:");
  });

  it("grants and withdraws a delegation", async () => {
    await operator("principal", "create", "dana", "--kind", "user");
    await operator("principal", "create", "planner", "--kind", "agent");
    expect(await json(operator("--json", "delegation", "grant", "dana", "planner"))).toEqual({ userId: "dana", agentId: "planner", delegated: true });
    expect((await operator("delegation", "revoke", "dana", "planner")).out).toContain("planner may no longer act on behalf of dana");
  });

  it("refuses --api-key together with --api-key-file, and an unreadable key file", async () => {
    const both = await run(["--data-dir", dataDir, "--api-key", "x", "--api-key-file", join(dataDir, "k"), "whoami"]);
    expect(both.code).toBe(2);
    expect(both.err).toContain("not both");
    const unreadable = await run(["--data-dir", dataDir, "--api-key-file", join(dataDir, "missing.key"), "whoami"]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.err).toContain("cannot read the API key file");
  });
});

describe("the memledger CLI's governance commands against a running server", () => {
  it("falls back to the local admin key file, issues a key, and acts as its principal", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "memledger-cli-gov-server-"));
    const ledger = await openMemLedger({ dataDir });
    await ledger.bootstrapAdmin(join(dataDir, "admin.key"));
    const app = await buildServer(ledger);
    const saved = { dataDir: process.env.MEMLEDGER_DATA_DIR, apiKey: process.env.MEMLEDGER_API_KEY };
    try {
      await app.listen({ host: "127.0.0.1", port: 0 });
      const server = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      // No key given: the CLI reads <MEMLEDGER_DATA_DIR>/admin.key, as on the server's own host.
      process.env.MEMLEDGER_DATA_DIR = dataDir;
      delete process.env.MEMLEDGER_API_KEY;
      expect((await run(["--server", server, "whoami"])).out).toContain("principal admin  (admin)");
      const created = await run(["--server", server, "--json", "principal", "create", "bob", "--kind", "user", "--role", "writer"]);
      expect(created, created.err).toMatchObject({ code: 0 });
      const issued = JSON.parse((await run(["--server", server, "--json", "key", "issue", "bob", "--scope", "write"])).out) as IssuedKey;
      expect(issued).toMatchObject({ principalId: "bob", scopes: ["write"] });

      process.env.MEMLEDGER_API_KEY = issued.token;
      expect((await run(["--server", server, "whoami"])).out).toContain("principal bob  (user)");
      const cube = await run(["--server", server, "--json", "cube", "create", "Bob's", "--owner-kind", "user", "--owner-id", "bob", "--id", "bobs"]);
      expect(cube, cube.err).toMatchObject({ code: 0 });
      expect(JSON.parse(cube.out)).toMatchObject({ createdBy: "principal:bob" });
      const refused = await run(["--server", server, "key", "list"]);
      expect(refused.code).toBe(2);
      expect((await run(["--server", server, "--api-key", "mlk_wrong", "whoami"])).code).toBe(2);
    } finally {
      if (saved.dataDir === undefined) delete process.env.MEMLEDGER_DATA_DIR;
      else process.env.MEMLEDGER_DATA_DIR = saved.dataDir;
      if (saved.apiKey === undefined) delete process.env.MEMLEDGER_API_KEY;
      else process.env.MEMLEDGER_API_KEY = saved.apiKey;
      await app.close();
      await ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import type { FastifyInstance } from "fastify";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger, type RemoteLedger } from "../src/client/httpClient.js";
import { buildServer } from "../src/server/buildServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

describe("governance and the read audit through connectMemLedger against the real server", () => {
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  let baseUrl: string;
  let admin: RemoteLedger;
  const opened: RemoteLedger[] = [];
  const connect = async (apiKey: string, onBehalfOf?: string) => {
    const client = await connectMemLedger(baseUrl, { apiKey, ...(onBehalfOf !== undefined ? { onBehalfOf } : {}) });
    opened.push(client);
    return client;
  };

  beforeAll(async () => {
    // Sync read audit: each read is recorded before it answers, so whoRead sees it at once.
    const t = await tempLedger({ readAudit: { mode: "sync" } });
    dispose = t.dispose;
    await t.ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    app = await buildServer(t.ledger);
    baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
    admin = await connect(readFileSync(join(t.dataDir, "admin.key"), "utf8").trim());
    await admin.cubes.create({ cubeId: "notes", name: "Notes", owner: { kind: "user", id: "bob" } });
  });
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await app.close();
    await dispose();
  });

  it("creates a principal, issues it a key, and lets it read a cube only once granted; the audit names the reader", async () => {
    expect(await admin.governance.whoAmI()).toMatchObject({ principalId: "admin", kind: "admin" });
    const bob = await admin.governance.createPrincipal({ principalId: "bob", kind: "user", displayName: "Bob", groups: ["support"] }, { reason: "new hire" });
    expect(bob).toMatchObject({ principalId: "bob", kind: "user", roles: [], groups: ["support"], disabled: false });
    expect((await admin.governance.principals()).map((p) => p.principalId).sort()).toEqual(["admin", "bob"]);

    const issued = await admin.governance.issueKey("bob", { scopes: ["read"] });
    expect(issued).toMatchObject({ principalId: "bob", scopes: ["read"] });
    expect(issued.token.startsWith(issued.prefix)).toBe(true);
    expect((await admin.governance.keys("bob")).map((k) => k.keyId)).toEqual([issued.keyId]);
    expect(JSON.stringify(await admin.governance.keys())).not.toContain(issued.token);

    const unit = await admin.memories.create({ cubeId: "notes", text: "Bob's locker code is 1234" });
    const asBob = await connect(issued.token);
    expect(await asBob.governance.whoAmI()).toMatchObject({ principalId: "bob" });

    // No grant yet: refused, typed.
    const refused = await failureOf(asBob.memories.get(unit.memoryId));
    expect([403, 404]).toContain(refused.status);
    expect(await failureOf(asBob.governance.createPrincipal({ principalId: "eve", kind: "user" }))).toMatchObject({ _tag: "Forbidden", status: 403 });

    const grants = await admin.governance.grantCube("notes", { kind: "group", id: "support" }, "read");
    expect(grants).toEqual([{ grantee: { kind: "group", id: "support" }, permission: "read" }]);
    expect(await admin.governance.cubeGrants("notes")).toEqual(grants);
    expect((await asBob.memories.get(unit.memoryId)).content?.text).toBe("Bob's locker code is 1234");
    // A read grant and a read key do not let bob write.
    expect(await failureOf(asBob.memories.create({ cubeId: "notes", text: "x" }))).toMatchObject({ _tag: "Forbidden", status: 403 });

    const reads = await admin.audit.whoRead(unit.memoryId);
    expect(reads.map((r) => r.principalId)).toContain("bob");
    expect(reads.find((r) => r.principalId === "bob")).toMatchObject({ action: "memory.get", cubeIds: ["notes"], memoryIds: [unit.memoryId] });
    expect((await admin.audit.readsBy("bob", { limit: 10 })).every((r) => r.principalId === "bob")).toBe(true);
    // Reading the audit needs an audit role.
    expect(await failureOf(asBob.audit.whoRead(unit.memoryId))).toMatchObject({ _tag: "Forbidden", status: 403 });

    expect(await admin.governance.revokeCube("notes", { kind: "group", id: "support" }, "read")).toEqual([]);
    expect([403, 404]).toContain((await failureOf(asBob.memories.get(unit.memoryId))).status);
  });

  it("grants and revokes roles and groups, disables, and revokes keys: refused from the next request on", async () => {
    await admin.governance.createPrincipal({ principalId: "carol", kind: "user" });
    expect((await admin.governance.grantRole("carol", "auditor")).roles).toEqual(["auditor"]);
    expect((await admin.governance.joinGroup("carol", "ops")).groups).toEqual(["ops"]);
    expect((await admin.governance.leaveGroup("carol", "ops")).groups).toEqual([]);
    const key = await admin.governance.issueKey("carol", { scopes: ["read"] });
    const asCarol = await connect(key.token);
    expect(Array.isArray(await asCarol.audit.readsBy("bob"))).toBe(true);
    expect((await admin.governance.revokeRole("carol", "auditor")).roles).toEqual([]);
    expect(await failureOf(asCarol.audit.readsBy("bob"))).toMatchObject({ _tag: "Forbidden", status: 403 });

    expect((await admin.governance.disable("carol")).disabled).toBe(true);
    expect(await failureOf(asCarol.governance.whoAmI())).toMatchObject({ _tag: "Unauthenticated", status: 401 });
    expect((await admin.governance.enable("carol")).disabled).toBe(false);
    expect(await asCarol.governance.whoAmI()).toMatchObject({ principalId: "carol" });

    expect(await admin.governance.revokeKey(key.keyId)).toMatchObject({ keyId: key.keyId, revoked: true });
    expect(await failureOf(asCarol.governance.whoAmI())).toMatchObject({ _tag: "Unauthenticated", status: 401 });
  });

  it("lets an agent act on behalf of a user only under a delegation, and records both", async () => {
    await admin.governance.createPrincipal({ principalId: "dana", kind: "user" });
    await admin.governance.createPrincipal({ principalId: "planner", kind: "agent" });
    await admin.cubes.create({ cubeId: "dana-notes", name: "Dana", owner: { kind: "user", id: "dana" } });
    await admin.governance.grantCube("dana-notes", { kind: "principal", id: "planner" }, "read");
    const unit = await admin.memories.create({ cubeId: "dana-notes", text: "Dana prefers mornings" });
    const key = await admin.governance.issueKey("planner", { scopes: ["read"] });

    const undelegated = await connect(key.token, "dana");
    expect([401, 403]).toContain((await failureOf(undelegated.memories.get(unit.memoryId))).status);

    await admin.governance.delegate("dana", "planner");
    expect((await undelegated.memories.get(unit.memoryId)).content?.text).toBe("Dana prefers mornings");
    expect((await admin.audit.whoRead(unit.memoryId)).find((r) => r.principalId === "planner")).toMatchObject({ onBehalfOf: "dana" });

    await admin.governance.revokeDelegation("dana", "planner");
    expect([401, 403]).toContain((await failureOf(undelegated.memories.get(unit.memoryId))).status);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger, type ScopedLedger } from "../src/app/memLedger.js";

/** The same checks in process as over HTTP: `ledger.as(principal)` is what the REST routes call. */
describe("the principal-scoped facade", () => {
  let dir: string;
  let ledger: MemLedger;
  let admin: ScopedLedger;
  let alice: ScopedLedger;
  let bob: ScopedLedger;
  let memoryId: string;

  const rejection = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (error) {
      return error as { _tag: string; message: string };
    }
    throw new Error("expected a refusal");
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "governance-facade-"));
    ledger = await openMemLedger({ dataDir: dir, worker: false, readAudit: { mode: "sync" } });
    await ledger.bootstrapAdmin(join(dir, "admin.key"));
    await ledger.bootstrapAdmin(join(dir, "acme.key"), "acme");
    admin = ledger.as({ tenantId: "default", principalId: "admin" });
    await admin.governance.createPrincipal({ principalId: "alice", kind: "user", roles: ["writer"] });
    await admin.governance.createPrincipal({ principalId: "bob", kind: "user" });
    await admin.governance.createPrincipal({ principalId: "planner", kind: "agent" });
    alice = ledger.as({ tenantId: "default", principalId: "alice" });
    bob = ledger.as({ tenantId: "default", principalId: "bob" });
    await alice.cubes.create({ cubeId: "home", name: "Home", owner: { kind: "user", id: "alice" } });
    memoryId = (await alice.memories.create({ cubeId: "home", text: "the spare key is under the blue pot" })).memoryId;
  });
  afterAll(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a principal without a grant with 403 naming the permission, and writes nothing", async () => {
    const before = (await ledger.memories.history(memoryId)).length;
    const refused = await rejection(bob.memories.edit(memoryId, { content: { text: "moved" } }));
    expect(refused._tag).toBe("Forbidden");
    expect(refused.message).toContain("memory.write needs the write permission on cube home");
    expect((await ledger.memories.history(memoryId)).length).toBe(before);
    expect((await rejection(bob.memories.get(memoryId)))._tag).toBe("Forbidden");
  });

  it("a grant takes effect on the next call, and so does its revocation", async () => {
    await alice.governance.grantCube("home", { kind: "principal", id: "bob" }, "read");
    expect((await bob.memories.get(memoryId)).content?.text).toContain("blue pot");
    expect((await bob.search({ query: "spare key", cubeIds: ["home"], mode: "bm25" })).results.map((h) => h.memory.memoryId)).toEqual([memoryId]);
    await alice.governance.revokeCube("home", { kind: "principal", id: "bob" }, "read");
    expect((await rejection(bob.memories.get(memoryId)))._tag).toBe("Forbidden");
    expect((await rejection(bob.search({ query: "spare key", cubeIds: ["home"], mode: "bm25" })))._tag).toBe("Forbidden");
  });

  it("the creator of a cube administers it (its grants are its own to give)", async () => {
    expect(await alice.governance.cubeGrants("home")).toContainEqual({ grantee: { kind: "principal", id: "alice" }, permission: "admin" });
  });

  it("another tenant's memory and cube are the same 404 as ones that do not exist", async () => {
    const acme = ledger.as({ tenantId: "acme", principalId: "admin" });
    const hidden = await rejection(acme.memories.get(memoryId));
    const missing = await rejection(acme.memories.get("00000000-0000-7000-8000-000000000000"));
    expect(hidden._tag).toBe("MemoryNotFound");
    expect(hidden.message.replace(memoryId, "<id>")).toBe(missing.message.replace("00000000-0000-7000-8000-000000000000", "<id>"));
    expect((await rejection(acme.cubes.get("home")))._tag).toBe("CubeNotFound");
    expect((await rejection(acme.memories.create({ cubeId: "home", text: "x" })))._tag).toBe("CubeNotFound");
    expect(await acme.cubes.list()).toEqual([]);
  });

  it("private units: only the author, the subject and cube admins see them, in get, list and search", async () => {
    await alice.governance.grantCube("home", { kind: "principal", id: "bob" }, "write");
    const secret = await bob.memories.create({ cubeId: "home", text: "bob's private diary entry about tulips", visibility: "private" });
    const aboutCarol = await alice.memories.create({ cubeId: "home", text: "carol private note on tulips", visibility: "private", userId: "bob" });
    await admin.governance.createPrincipal({ principalId: "dave", kind: "user" });
    await alice.governance.grantCube("home", { kind: "principal", id: "dave" }, "write");
    const dave = ledger.as({ tenantId: "default", principalId: "dave" });
    await ledger.readModels.catchUp();

    expect((await bob.memories.get(secret.memoryId)).memoryId).toBe(secret.memoryId);
    expect((await bob.memories.get(aboutCarol.memoryId)).memoryId).toBe(aboutCarol.memoryId); // bob is its subject
    expect((await alice.memories.get(secret.memoryId)).memoryId).toBe(secret.memoryId); // cube admin
    expect((await rejection(dave.memories.get(secret.memoryId)))._tag).toBe("MemoryNotFound");
    expect((await rejection(dave.memories.history(secret.memoryId)))._tag).toBe("MemoryNotFound");
    expect((await dave.cubes.memories("home")).map((m) => m.memoryId)).not.toContain(secret.memoryId);
    const daveHits = (await dave.search({ query: "tulips", cubeIds: ["home"], mode: "bm25" })).results.map((h) => h.memory.memoryId);
    expect(daveHits).toEqual([]);
    const bobHits = (await bob.search({ query: "tulips", cubeIds: ["home"], mode: "bm25" })).results.map((h) => h.memory.memoryId);
    expect(new Set(bobHits)).toEqual(new Set([secret.memoryId, aboutCarol.memoryId]));
  });

  it("a private unit whose subject is written as an actor (principal:<id>) is that principal's in get as in search", async () => {
    await admin.governance.createPrincipal({ principalId: "erin", kind: "user" });
    await alice.governance.grantCube("home", { kind: "principal", id: "erin" }, "read");
    const erin = ledger.as({ tenantId: "default", principalId: "erin" });
    const aboutErin = await alice.memories.create({ cubeId: "home", text: "erin private note about orchids", visibility: "private", userId: "principal:erin" });
    await ledger.readModels.catchUp();
    const hits = (await erin.search({ query: "orchids", cubeIds: ["home"], mode: "bm25" })).results.map((h) => h.memory.memoryId);
    expect(hits).toEqual([aboutErin.memoryId]);
    expect((await erin.memories.get(aboutErin.memoryId)).memoryId).toBe(aboutErin.memoryId);
    expect((await erin.memories.history(aboutErin.memoryId)).length).toBeGreaterThan(0);
  });

  it("a user's profile shows a principal only the preference units it may read", async () => {
    await admin.governance.createPrincipal({ principalId: "frank", kind: "user" });
    await alice.governance.grantCube("home", { kind: "principal", id: "frank" }, "read");
    const frank = ledger.as({ tenantId: "default", principalId: "frank" });
    const shared = await alice.memories.create({ cubeId: "home", text: "Bob prefers window seats", userId: "bob", memoryType: "preference" });
    const secret = await alice.memories.create({ cubeId: "home", text: "Bob prefers to keep his diagnosis quiet", userId: "bob", memoryType: "preference", visibility: "private" });
    const explicit = async (who: ScopedLedger) => (await who.preferences.profile("home", "bob")).preferences.explicit.map((p) => p.memoryId).sort();
    expect(await explicit(frank)).toEqual([shared.memoryId]);
    expect(await explicit(bob)).toEqual([shared.memoryId, secret.memoryId].sort()); // its subject
    expect(await explicit(alice)).toEqual([shared.memoryId, secret.memoryId].sort()); // the cube's admin
  });

  it("a search over a cube the caller administers and one it only reads: its own cube's private units stay, the other's stay hidden", async () => {
    await admin.governance.createPrincipal({ principalId: "gina", kind: "user", roles: ["writer"] });
    const gina = ledger.as({ tenantId: "default", principalId: "gina" });
    await gina.cubes.create({ cubeId: "garden", name: "Garden", owner: { kind: "user", id: "gina" } });
    await admin.governance.createPrincipal({ principalId: "hank", kind: "user" });
    await gina.governance.grantCube("garden", { kind: "principal", id: "hank" }, "write");
    await alice.governance.grantCube("home", { kind: "principal", id: "hank" }, "write");
    await alice.governance.grantCube("home", { kind: "principal", id: "gina" }, "read");
    const hank = ledger.as({ tenantId: "default", principalId: "hank" });
    const inGarden = await hank.memories.create({ cubeId: "garden", text: "hank private note on magnolias", visibility: "private" });
    const inHome = await hank.memories.create({ cubeId: "home", text: "hank private note on magnolias at home", visibility: "private" });
    await ledger.readModels.catchUp();
    const hits = (await gina.search({ query: "magnolias", cubeIds: ["garden", "home"], mode: "bm25" })).results.map((h) => h.memory.memoryId);
    expect(hits).toEqual([inGarden.memoryId]); // gina administers garden, only reads home
    expect(hits).not.toContain(inHome.memoryId);
  });

  it("an agent names a user only under a delegation, and both are recorded", async () => {
    await alice.governance.grantCube("home", { kind: "principal", id: "planner" }, "write");
    const forAlice = ledger.as({ tenantId: "default", principalId: "planner", onBehalfOf: "alice" });
    expect((await rejection(forAlice.memories.edit(memoryId, { content: { text: "x" } })))._tag).toBe("Forbidden");
    await alice.governance.delegate("alice", "planner");
    await forAlice.memories.edit(memoryId, { content: { text: "the spare key is in the drawer" } });
    const last = (await ledger.memories.history(memoryId)).at(-1)!;
    expect(last).toMatchObject({ actor: "principal:planner", onBehalfOf: "alice" });
  });

  it("records every read by a principal, with the units returned, and answers who read what", async () => {
    await alice.memories.get(memoryId);
    await alice.memories.history(memoryId);
    const reads = await admin.audit.whoRead(memoryId);
    expect(reads.map((r) => [r.principalId, r.action])).toEqual(expect.arrayContaining([["alice", "memory.get"], ["alice", "memory.history"], ["bob", "search"]]));
    expect(reads.every((r) => r.memoryIds.includes(memoryId) && /^[0-9a-f]{64}$/.test(r.queryFingerprint))).toBe(true);
    expect((await alice.audit.readsBy("alice")).length).toBeGreaterThan(0);
    expect((await rejection(bob.audit.whoRead(memoryId)))._tag).toBe("Forbidden");
  });

  it("a disabled principal is refused at once; subject erasure needs the data-protection officer", async () => {
    expect((await rejection(alice.subjects.erase("alice")))._tag).toBe("Forbidden");
    await admin.governance.disable("bob");
    expect((await rejection(bob.cubes.list()))._tag).toBe("Unauthenticated");
    expect((await rejection(bob.memories.get(memoryId)))._tag).toBe("Unauthenticated");
  });

  it("who had which rights on a past day is an as-of read", async () => {
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await admin.governance.grantRole("dave", "reader");
    expect((await admin.governance.principal("dave")).roles).toEqual(["reader"]);
    expect((await admin.governance.principal("dave", { time: before })).roles).toEqual([]);
  });
});

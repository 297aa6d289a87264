import { Effect, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { layerClock, ManualClock } from "../src/clock/clock.js";
import { EventStore } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { parseApiKey } from "../src/governance/apiKeySecret.js";
import { GovernanceService, layerGovernanceService } from "../src/governance/governanceService.js";
import { layerRandomIds } from "../src/ids/idGenerator.js";

/** The service over a real embedded log, with a hand-moved clock. */
function openGovernance(dir: string, clock: ManualClock) {
  const store = openSqliteEventStore({ path: join(dir, "events.db"), pollIntervalMs: 20 });
  const layer = layerGovernanceService.pipe(Layer.provide(Layer.mergeAll(Layer.succeed(EventStore, store), layerClock(clock), layerRandomIds)));
  const runtime = ManagedRuntime.make(layer);
  const run = <A, E>(f: (g: GovernanceService["Type"]) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(GovernanceService, f));
  const failure = async (f: (g: GovernanceService["Type"]) => Effect.Effect<unknown, { _tag: string }>) =>
    runtime.runPromise(Effect.flip(Effect.flatMap(GovernanceService, f)));
  return { run, failure, close: async () => { await runtime.dispose(); await Effect.runPromise(store.close()); } };
}

describe("governance service over the embedded log", () => {
  const dirs: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-gov-"));
    dirs.push(dir);
    const clock = new ManualClock(new Date("2026-03-01T09:00:00.000Z"));
    const g = openGovernance(dir, clock);
    closers.push(g.close);
    return { dir, clock, ...g };
  };
  const ctx = { tenantId: "acme", actor: "admin" };

  it("bootstraps one admin on first start, writes its key 0600, and never again", async () => {
    const { dir, run } = setup();
    const keyFile = join(dir, "admin.key");
    expect(await run((g) => g.ensureBootstrapAdmin("acme", keyFile))).toEqual({ created: true, keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(keyFile, "utf8").trim();
    const who = await run((g) => g.authenticate(token));
    expect(who.principal).toMatchObject({ principalId: "admin", kind: "admin", tenantId: "acme" });
    expect(await run((g) => g.ensureBootstrapAdmin("acme", keyFile))).toEqual({ created: false, keyFile });
    expect(readFileSync(keyFile, "utf8").trim()).toBe(token);
  });

  it("authenticates a key until it is revoked or expires, and refuses forged or malformed ones alike", async () => {
    const { run, failure, clock } = setup();
    await run((g) => g.execute("acme", { type: "createPrincipal", principalId: "bot", kind: "agent", roles: ["writer"], groups: [] }, ctx));
    const key = await run((g) => g.issueKey("acme", { principalId: "bot", scopes: ["read", "write"], expiresAt: "2026-03-02T09:00:00.000Z" }, ctx));
    expect(parseApiKey(key.token)).toEqual({ tenantId: "acme", keyId: key.keyId });
    expect((await run((g) => g.authenticate(key.token))).scopes).toEqual(["read", "write"]);

    const forged = key.token.slice(0, -3) + (key.token.endsWith("AAA") ? "BBB" : "AAA");
    expect(await failure((g) => g.authenticate(forged))).toMatchObject({ _tag: "Unauthenticated" });
    expect(await failure((g) => g.authenticate("hello"))).toMatchObject({ _tag: "Unauthenticated", why: expect.stringContaining("not a memledger API key") });

    clock.advance(24 * 3600_000);
    expect(await failure((g) => g.authenticate(key.token))).toMatchObject({ _tag: "Unauthenticated", why: expect.stringContaining("expired") });

    const second = await run((g) => g.issueKey("acme", { principalId: "bot", scopes: ["read"] }, ctx));
    await run((g) => g.authenticate(second.token));
    await run((g) => g.execute("acme", { type: "revokeApiKey", keyId: second.keyId }, ctx));
    expect(await failure((g) => g.authenticate(second.token))).toMatchObject({ _tag: "Unauthenticated", why: expect.stringContaining("revoked") });
  });

  it("answers who held which rights at a past moment, and sees writes of another process on the next read", async () => {
    const { dir, run, clock } = setup();
    await run((g) => g.execute("acme", { type: "createPrincipal", principalId: "alice", kind: "user", roles: [], groups: [] }, ctx));
    await run((g) => g.execute("acme", { type: "grantCubeAccess", cubeId: "c1", grantee: { kind: "principal", id: "alice" }, permission: "read" }, ctx));
    const before = clock.now().toISOString();
    clock.advance(60_000);
    // A second process on the same log revokes the grant.
    const other = openGovernance(dir, clock);
    closers.push(other.close);
    await other.run((g) => g.execute("acme", { type: "revokeCubeAccess", cubeId: "c1", grantee: { kind: "principal", id: "alice" }, permission: "read" }, ctx));
    expect((await run((g) => g.access("acme"))).cubeGrants["c1"]).toEqual([]);
    expect((await run((g) => g.access("acme", { time: before }))).cubeGrants["c1"]).toEqual([{ grantee: { kind: "principal", id: "alice" }, permission: "read" }]);
  });
});

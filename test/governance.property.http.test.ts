import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CubePermission, PrincipalKind } from "../domain/governance/permissions.js";
import { createPrincipal, expectStatus, grant, headPosition, issueKey, openGovernanceWorld, revokeGrant, send, type GovernanceWorld } from "./support/governanceFixtures.js";

/**
 * Random histories of cube grants, revocations, disables and key revocations in
 * one tenant, interleaved with reads and writes by random principals over
 * HTTP, each checked against a naive model of who may do what:
 * - no read (get, list, search) returns a unit the caller may not read, private units included;
 * - no write succeeds without write, and a refused write changes nothing (the unit's revision, the cube's units);
 * - a revocation, a disable or a revoked key is honoured on the very next request.
 * Each run has a tenant of its own in one shared ledger, so runs are cheap.
 */

const permissions: readonly CubePermission[] = ["read", "write", "admin"];
const rank = (permission: CubePermission | undefined) => (permission === undefined ? 0 : permissions.indexOf(permission) + 1);
const principalCount = 3;
const cubeCount = 2;

interface UnitModel {
  readonly memoryId: string;
  readonly cube: number;
  readonly isPrivate: boolean;
  /** `admin` or a principal id. */
  readonly author: string;
  readonly userId?: string;
  revision: number;
  text: string;
}

interface PrincipalModel {
  readonly id: string;
  token: string;
  keyId: string;
  keyRevoked: boolean;
  disabled: boolean;
  /** Grants per cube (a principal may hold several, e.g. read and admin; the strongest counts). */
  readonly grants: Set<CubePermission>[];
}

type Op =
  | { readonly kind: "grant"; readonly p: number; readonly c: number; readonly permission: CubePermission }
  | { readonly kind: "revokeGrant"; readonly p: number; readonly c: number; readonly pick: number }
  | { readonly kind: "disable" | "enable" | "revokeKey" | "newKey"; readonly p: number }
  | { readonly kind: "get" | "patch"; readonly p: number; readonly m: number }
  | { readonly kind: "list"; readonly p: number; readonly c: number }
  | { readonly kind: "search"; readonly p: number; readonly cubes: readonly number[] }
  | { readonly kind: "create"; readonly p: number; readonly c: number; readonly isPrivate: boolean; readonly subject: number | null };

const p = fc.nat(principalCount - 1);
const c = fc.nat(cubeCount - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("grant" as const), p, c, permission: fc.constantFrom(...permissions) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("revokeGrant" as const), p, c, pick: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("disable" as const, "enable" as const, "revokeKey" as const, "newKey" as const), p }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom("get" as const, "patch" as const), p, m: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("list" as const), p, c }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("search" as const), p, cubes: fc.subarray([0, 1], { minLength: 1 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("create" as const), p, c, isPrivate: fc.boolean(), subject: fc.option(fc.nat(principalCount - 1), { nil: null }) }) },
);

const scenarioArb = fc.record({
  kinds: fc.array(fc.constantFrom<PrincipalKind>("user", "agent"), { minLength: principalCount, maxLength: principalCount }),
  privateSubject: fc.nat(principalCount - 1),
  privateAuthor: fc.nat(principalCount - 1),
  /** Grants given before the first operation, so that most runs have principals that may read and write. */
  initial: fc.array(fc.record({ p, c, permission: fc.constantFrom(...permissions) }), { minLength: 1, maxLength: 5 }),
  ops: fc.array(opArb, { minLength: 10, maxLength: 30 }),
});

interface ListAnswer {
  memories: { memoryId: string; revision: number; cubeId: string }[];
}

describe("governance over HTTP, property: random grants, revocations, disables and key revocations against a naive model", () => {
  let world: GovernanceWorld;
  let run = 0;
  /**
   * Works around the defect pinned in governance.everyRoute.http.test.ts: a key id that starts with "_" or "-" (1 in 32)
   * cannot be revoked (500). The model revokes keys, so it uses only keys whose ids can be; the others stay unused.
   */
  const revocable = async (key: { token: string; keyId: string }, admin: string, principalId: string): Promise<{ token: string; keyId: string }> => {
    let current = key;
    while (!/^[A-Za-z0-9]/.test(current.keyId)) current = await issueKey(world.app, admin, principalId, { scopes: ["read", "write", "admin"] });
    return current;
  };

  beforeAll(async () => {
    world = await openGovernanceWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it("reads never show what the caller may not read, writes never pass without write, refusals change nothing, revocations hold on the next request", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const { app, ledger } = world;
        const tenant = `prop${++run}`;
        const admin = await world.adminToken(tenant);
        const cubes = Array.from({ length: cubeCount }, (_, i) => `${tenant}-cube${i}`);
        for (const cubeId of cubes) await expectStatus(app, 201, { method: "POST", url: "/cubes", payload: { cubeId, name: cubeId, owner: { kind: "project", id: "p" } } }, admin);
        const principals: PrincipalModel[] = [];
        for (let i = 0; i < principalCount; i++) {
          const id = `${tenant}-p${i}`;
          const key = await revocable(await createPrincipal(app, admin, id, { kind: scenario.kinds[i]! }), admin, id);
          principals.push({ id, token: key.token, keyId: key.keyId, keyRevoked: false, disabled: false, grants: cubes.map(() => new Set()) });
        }
        const units: UnitModel[] = [];
        const remember = async (token: string, author: string, cube: number, isPrivate: boolean, userId: string | undefined) => {
          const text = `zebra ${isPrivate ? "private" : "shared"} note ${units.length} in ${cube}`;
          const view = await expectStatus<{ memoryId: string; revision: number }>(
            app,
            201,
            { method: "POST", url: "/memories", payload: { cubeId: cubes[cube], text, ...(isPrivate ? { visibility: "private" } : {}), ...(userId !== undefined ? { userId } : {}) } },
            token,
          );
          units.push({ memoryId: view.memoryId, cube, isPrivate, author, ...(userId !== undefined ? { userId } : {}), revision: view.revision, text });
        };
        // Seed: a shared unit in each cube, a private unit about a principal (written by the admin), a private unit written by a principal.
        for (let cube = 0; cube < cubeCount; cube++) await remember(admin, "admin", cube, false, undefined);
        await remember(admin, "admin", 1, true, principals[scenario.privateSubject]!.id);
        const author = principals[scenario.privateAuthor]!;
        await grant(app, admin, cubes[0]!, author.id, "write");
        await remember(author.token, author.id, 0, true, undefined);
        await revokeGrant(app, admin, cubes[0]!, author.id, "write");

        for (const g of scenario.initial) {
          if (principals[g.p]!.grants[g.c]!.has(g.permission)) continue;
          await grant(app, admin, cubes[g.c]!, principals[g.p]!.id, g.permission);
          principals[g.p]!.grants[g.c]!.add(g.permission);
        }

        // The model.
        const authenticated = (who: PrincipalModel) => !who.disabled && !who.keyRevoked;
        const held = (who: PrincipalModel, cube: number): CubePermission | undefined => [...who.grants[cube]!].sort((a, b) => rank(b) - rank(a))[0];
        const isViewer = (who: PrincipalModel, unit: UnitModel) => unit.author === who.id || unit.userId === who.id;
        const canRead = (who: PrincipalModel, unit: UnitModel) => authenticated(who) && rank(held(who, unit.cube)) >= 1 && (!unit.isPrivate || held(who, unit.cube) === "admin" || isViewer(who, unit));
        /** The status of an action on a unit: 401, then 404 for a private unit not the caller's (whatever the action), then 403 without the permission, else 2xx. */
        const expectedOnUnit = (who: PrincipalModel, unit: UnitModel, needs: CubePermission, ok: number) => {
          if (!authenticated(who)) return 401;
          if (unit.isPrivate && held(who, unit.cube) !== "admin" && !isViewer(who, unit)) return 404;
          if (rank(held(who, unit.cube)) < rank(needs)) return 403;
          return ok;
        };
        const trail: string[] = [];
        const fail = (message: string): never => {
          throw new Error(`${message}\n  after: ${trail.join("; ")}`);
        };
        const check = (what: string, actual: number, expected: number, body: string) => {
          if (actual !== expected) fail(`${what}: expected ${expected}, got ${actual} ${body.slice(0, 300)}`);
        };

        const list = async (who: PrincipalModel, cube: number, why: string) => {
          const response = await send(app, { method: "GET", url: `/cubes/${cubes[cube]}/memories` }, { token: who.token });
          const expected = !authenticated(who) ? 401 : rank(held(who, cube)) >= 1 ? 200 : 403;
          check(`${why}: ${who.id} lists cube ${cube}`, response.statusCode, expected, response.body);
          if (response.statusCode !== 200) return;
          const shown = (response.json() as ListAnswer).memories.map((m) => `${m.memoryId}@${m.revision}`).sort();
          const visible = units.filter((u) => u.cube === cube && canRead(who, u)).map((u) => `${u.memoryId}@${u.revision}`).sort();
          if (JSON.stringify(shown) !== JSON.stringify(visible)) fail(`${why}: ${who.id} lists cube ${cube}: shown ${JSON.stringify(shown)}, model ${JSON.stringify(visible)}`);
        };
        /** The trusted ledger's view of a unit (no grant involved). */
        const revisionNow = async (memoryId: string) => (await ledger.memories.get(memoryId)).revision;

        for (const op of scenario.ops) {
          const who = principals[op.p]!;
          trail.push(JSON.stringify(op));
          switch (op.kind) {
            case "grant": {
              if (who.grants[op.c]!.has(op.permission)) break;
              await grant(app, admin, cubes[op.c]!, who.id, op.permission);
              who.grants[op.c]!.add(op.permission);
              await list(who, op.c, "right after a grant");
              break;
            }
            case "revokeGrant": {
              const heldGrants = [...who.grants[op.c]!];
              if (heldGrants.length === 0) break;
              const permission = heldGrants[op.pick % heldGrants.length]!;
              await revokeGrant(app, admin, cubes[op.c]!, who.id, permission);
              who.grants[op.c]!.delete(permission);
              await list(who, op.c, `right after revoking ${permission}`);
              if (units.length > 0) {
                const unit = units.find((u) => u.cube === op.c)!;
                const response = await send(app, { method: "GET", url: `/memories/${unit.memoryId}` }, { token: who.token });
                check(`right after revoking ${permission}: ${who.id} gets ${unit.memoryId}`, response.statusCode, expectedOnUnit(who, unit, "read", 200), response.body);
              }
              break;
            }
            case "disable":
            case "enable": {
              if (who.disabled === (op.kind === "disable")) break;
              await expectStatus(app, 200, { method: "POST", url: `/principals/${who.id}/${op.kind}` }, admin);
              who.disabled = op.kind === "disable";
              await list(who, 0, `right after ${op.kind}`);
              break;
            }
            case "revokeKey": {
              if (who.keyRevoked) break;
              await expectStatus(app, 200, { method: "POST", url: `/keys/${who.keyId}/revoke` }, admin);
              who.keyRevoked = true;
              await list(who, 1, "right after revoking the key");
              break;
            }
            case "newKey": {
              const key = await revocable(await issueKey(app, admin, who.id, { scopes: ["read", "write", "admin"] }), admin, who.id);
              Object.assign(who, { token: key.token, keyId: key.keyId, keyRevoked: false });
              await list(who, 1, "right after a new key");
              break;
            }
            case "get": {
              const unit = units[op.m % units.length]!;
              const response = await send(app, { method: "GET", url: `/memories/${unit.memoryId}` }, { token: who.token });
              check(`${who.id} gets ${unit.memoryId}`, response.statusCode, expectedOnUnit(who, unit, "read", 200), response.body);
              if (response.statusCode === 200) {
                const view = response.json() as { revision: number; content: { text: string } };
                if (view.revision !== unit.revision || view.content.text !== unit.text) fail(`${who.id} gets ${unit.memoryId}: ${response.body} (model r${unit.revision} ${unit.text})`);
              }
              break;
            }
            case "patch": {
              const unit = units[op.m % units.length]!;
              const text = `zebra edited by ${who.id} at ${trail.length}`;
              const response = await send(app, { method: "PATCH", url: `/memories/${unit.memoryId}`, payload: { content: { text } } }, { token: who.token });
              check(`${who.id} edits ${unit.memoryId}`, response.statusCode, expectedOnUnit(who, unit, "write", 200), response.body);
              if (response.statusCode === 200) {
                const revision = (response.json() as { revision: number }).revision;
                if (revision <= unit.revision) fail(`an edit did not move the revision: ${response.body}`);
                Object.assign(unit, { revision, text });
              } else if ((await revisionNow(unit.memoryId)) !== unit.revision) {
                fail(`a refused edit (${response.statusCode}) changed ${unit.memoryId}`);
              }
              break;
            }
            case "list":
              await list(who, op.c, "list");
              break;
            case "search": {
              const response = await send(app, { method: "POST", url: "/search", payload: { query: "zebra", cubeIds: op.cubes.map((i) => cubes[i]), topK: 100 } }, { token: who.token });
              const expected = !authenticated(who) ? 401 : op.cubes.every((i) => rank(held(who, i)) >= 1) ? 200 : 403;
              check(`${who.id} searches cubes ${op.cubes.join(",")}`, response.statusCode, expected, response.body);
              if (response.statusCode === 200) {
                for (const hit of (response.json() as { results: { memory: { memoryId: string; cubeId: string } }[] }).results) {
                  const unit = units.find((u) => u.memoryId === hit.memory.memoryId);
                  if (unit === undefined || !op.cubes.includes(unit.cube) || !canRead(who, unit)) fail(`${who.id} searched cubes ${op.cubes.join(",")} and got ${hit.memory.memoryId} of ${hit.memory.cubeId}, which it may not read`);
                }
              }
              break;
            }
            case "create": {
              const subject = op.subject !== null ? principals[op.subject]!.id : undefined;
              const before = (await ledger.cubes.memories(cubes[op.c]!)).length;
              const text = `zebra ${op.isPrivate ? "private" : "shared"} note ${units.length} by ${who.id}`;
              const payload = { cubeId: cubes[op.c], text, ...(op.isPrivate ? { visibility: "private" } : {}), ...(subject !== undefined ? { userId: subject } : {}) };
              const response = await send(app, { method: "POST", url: "/memories", payload }, { token: who.token });
              const expected = !authenticated(who) ? 401 : rank(held(who, op.c)) >= rank("write") ? 201 : 403;
              check(`${who.id} creates in cube ${op.c}`, response.statusCode, expected, response.body);
              if (response.statusCode === 201) {
                const view = response.json() as { memoryId: string; revision: number };
                units.push({ memoryId: view.memoryId, cube: op.c, isPrivate: op.isPrivate, author: who.id, ...(subject !== undefined ? { userId: subject } : {}), revision: view.revision, text });
              } else if ((await ledger.cubes.memories(cubes[op.c]!)).length !== before) {
                fail(`a refused create (${response.statusCode}) added a unit to cube ${op.c}`);
              }
              break;
            }
          }
        }
        // At the end, every principal's view of every cube matches the model.
        for (const who of principals) for (let cube = 0; cube < cubeCount; cube++) await list(who, cube, "final");
      }),
      { numRuns: 50, interruptAfterTimeLimit: 50_000 },
    );
  }, 120_000);

  // Was a defect: authorize() checked the grant before visibility, so to a principal holding only read on the cube a private unit
  // that is not its own was a 404 on GET but a 403 on PATCH (and on every other write), while an id that does not exist is
  // a 404 everywhere: the 403 revealed that the private unit exists. docs/governance.md: "a private unit the caller is
  // neither the author nor the subject of (nor a cube admin): its existence is not revealed".
  it("a private unit is answered exactly like a missing one to a principal that holds only read, for reads and writes alike", async () => {
    const { app } = world;
    const tenant = `leak${randomUUID().slice(0, 6)}`;
    const admin = await world.adminToken(tenant);
    const cubeId = `${tenant}-cube`;
    await expectStatus(app, 201, { method: "POST", url: "/cubes", payload: { cubeId, name: cubeId, owner: { kind: "project", id: "p" } } }, admin);
    const unit = await expectStatus<{ memoryId: string }>(app, 201, { method: "POST", url: "/memories", payload: { cubeId, text: "private to the admin", visibility: "private" } }, admin);
    const { token } = await createPrincipal(app, admin, `${tenant}-reader`);
    await grant(app, admin, cubeId, `${tenant}-reader`, "read");
    const head = await headPosition(world.ledger);
    const answers = async (memoryId: string) => [
      (await send(app, { method: "GET", url: `/memories/${memoryId}` }, { token })).statusCode,
      (await send(app, { method: "PATCH", url: `/memories/${memoryId}`, payload: { content: { text: "x" } } }, { token })).statusCode,
      (await send(app, { method: "POST", url: `/memories/${memoryId}/archive`, payload: {} }, { token })).statusCode,
    ];
    const missing = await answers(randomUUID());
    expect(missing).toEqual([404, 404, 404]);
    expect(await headPosition(world.ledger)).toBe(head);
    expect(await answers(unit.memoryId)).toEqual(missing);
  });
});

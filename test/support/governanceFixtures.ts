import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { CubePermission, KeyScope, PrincipalKind, TenantRole } from "../../domain/governance/permissions.js";
import { openMemLedger, type MemLedger } from "../../src/app/memLedger.js";
import { buildServer } from "../../src/server/buildServer.js";

/**
 * A ledger and its REST server with authentication on, for the governance
 * tests over HTTP: tenants get their bootstrap admin on demand, and every
 * request goes out exactly as written (no credential is added).
 */
export interface GovernanceWorld {
  readonly dataDir: string;
  readonly ledger: MemLedger;
  readonly app: FastifyInstance;
  /** The bootstrap admin's key of a tenant (created on first use). */
  adminToken(tenantId: string): Promise<string>;
  close(): Promise<void>;
}

export async function openGovernanceWorld(): Promise<GovernanceWorld> {
  const dataDir = mkdtempSync(join(tmpdir(), "memledger-governance-"));
  const ledger = await openMemLedger({ dataDir, worker: false });
  const app = await buildServer(ledger, { rateLimit: false });
  const admins = new Map<string, Promise<string>>();
  return {
    dataDir,
    ledger,
    app,
    adminToken: (tenantId) => {
      let token = admins.get(tenantId);
      if (token === undefined) {
        const keyFile = join(dataDir, `admin-${tenantId}.key`);
        token = ledger.bootstrapAdmin(keyFile, tenantId).then(({ created }) => {
          if (!created) throw new Error(`tenant ${tenantId} already had an admin`);
          return readFileSync(keyFile, "utf8").trim();
        });
        admins.set(tenantId, token);
      }
      return token;
    },
    close: async () => {
      await app.close();
      await ledger.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Call {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  readonly url: string;
  readonly payload?: unknown;
}

/** One request with `Authorization: Bearer <token>` (none when token is undefined, the raw header when `header` is given). */
export async function send(app: FastifyInstance, call: Call, credential: { token?: string; header?: string } = {}): Promise<LightMyRequestResponse> {
  const authorization = credential.header ?? (credential.token !== undefined ? `Bearer ${credential.token}` : undefined);
  return app.inject({
    method: call.method,
    url: call.url,
    headers: authorization !== undefined ? { authorization } : {},
    ...(call.payload !== undefined ? { payload: call.payload as object } : {}),
  });
}

/** Sends, and throws with the answer when the status is not the one expected. */
export async function expectStatus<T = unknown>(app: FastifyInstance, status: number, call: Call, token: string): Promise<T> {
  const response = await send(app, call, { token });
  if (response.statusCode !== status) throw new Error(`${call.method} ${call.url}: expected ${status}, got ${response.statusCode} ${response.body}`);
  return (response.body === "" ? undefined : response.json()) as T;
}

/** A principal created by the tenant admin over REST, and a key of its own. */
export async function createPrincipal(
  app: FastifyInstance,
  adminToken: string,
  principalId: string,
  options: { kind?: PrincipalKind; roles?: readonly TenantRole[]; scopes?: readonly KeyScope[] } = {},
): Promise<{ token: string; keyId: string }> {
  await expectStatus(app, 201, { method: "POST", url: "/principals", payload: { principalId, kind: options.kind ?? "user", roles: options.roles ?? [] } }, adminToken);
  return issueKey(app, adminToken, principalId, { scopes: options.scopes ?? ["read", "write", "admin"] });
}

export async function issueKey(app: FastifyInstance, token: string, principalId: string, body: { scopes: readonly KeyScope[]; expiresAt?: string }): Promise<{ token: string; keyId: string }> {
  const issued = await expectStatus<{ token: string; keyId: string }>(app, 201, { method: "POST", url: `/principals/${principalId}/keys`, payload: body }, token);
  return { token: issued.token, keyId: issued.keyId };
}

export const grant = (app: FastifyInstance, adminToken: string, cubeId: string, principalId: string, permission: CubePermission) =>
  expectStatus(app, 200, { method: "POST", url: `/cubes/${cubeId}/grants`, payload: { grantee: { kind: "principal", id: principalId }, permission } }, adminToken);

export const revokeGrant = (app: FastifyInstance, adminToken: string, cubeId: string, principalId: string, permission: CubePermission) =>
  expectStatus(app, 200, { method: "POST", url: `/cubes/${cubeId}/grants/revoke`, payload: { grantee: { kind: "principal", id: principalId }, permission } }, adminToken);

/** The log's global head position, from the trusted ledger's read-model lag report (no read is audited, nothing is written). */
export async function headPosition(ledger: MemLedger): Promise<number> {
  const lags = await ledger.readModels.lag();
  return Math.max(0, ...lags.map((lag) => lag.head));
}

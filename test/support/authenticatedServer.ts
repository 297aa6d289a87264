import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import type { KeyScope, PrincipalKind, TenantRole } from "../../domain/governance/permissions.js";
import type { MemLedger } from "../../src/app/memLedger.js";
import { buildServer, type ServerOptions } from "../../src/server/buildServer.js";

/**
 * The REST server with authentication on, for tests written before it was:
 * every tenant a test names gets the bootstrap `admin` principal (kind admin,
 * every role of its tenant), and `app.inject` adds `Authorization: Bearer <that
 * admin's key>` to any request that has no Authorization header, choosing the
 * tenant from the request's `x-tenant-id` header (which the server itself
 * ignores) or `default`. Rate limits are off unless the options set them.
 */
export interface AuthenticatedServer {
  /** The server; its `inject` authenticates as the tenant's admin when no Authorization header is given. */
  readonly app: FastifyInstance;
  /** The original `inject`: requests go out exactly as written (for 401 checks). */
  readonly injectRaw: FastifyInstance["inject"];
  /** The admin key of a tenant, bootstrapping that tenant's admin on first use. */
  tokenFor(tenantId?: string): Promise<string>;
  /** `{ authorization: "Bearer <admin key>" }` for fetch calls against a listening server. */
  authHeaders(tenantId?: string): Promise<{ authorization: string }>;
  /**
   * A principal of the tenant (created by the tenant's admin over HTTP, with the
   * roles given, `writer` by default) and a key of its own (scope `admin` by default:
   * it then does whatever the principal may); the answer is that key.
   * Its writes are recorded as `principal:<principalId>`.
   */
  principalToken(principalId: string, options?: { readonly tenantId?: string; readonly kind?: PrincipalKind; readonly roles?: readonly TenantRole[]; readonly scopes?: readonly KeyScope[] }): Promise<string>;
}

/** Where `tokenFor` keeps a tenant's admin key; a test that bootstraps the admin itself (before damaging a log, say) writes it here. */
export const adminKeyFile = (dir: string, tenantId = "default"): string => join(dir, `admin-${encodeURIComponent(tenantId)}.key`);

type InjectArgument = string | InjectOptions;

const headerNamed = (headers: Record<string, unknown> | undefined, name: string): { key: string; value: unknown } | undefined => {
  if (headers === undefined) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : { key, value: headers[key] };
};

export async function authenticatedServer(ledger: MemLedger, dir: string, options: ServerOptions = {}): Promise<AuthenticatedServer> {
  const app = await buildServer(ledger, { rateLimit: false, ...options });
  const injectRaw = app.inject.bind(app) as FastifyInstance["inject"];
  const tokens = new Map<string, Promise<string>>();

  const tokenFor = (tenantId = "default"): Promise<string> => {
    let token = tokens.get(tenantId);
    if (token === undefined) {
      const keyFile = adminKeyFile(dir, tenantId);
      token = ledger.bootstrapAdmin(keyFile, tenantId).then(({ created }) => {
        if (!created && !existsSync(keyFile)) throw new Error(`tenant ${tenantId} already had an admin principal: its key is not in ${keyFile}`);
        return readFileSync(keyFile, "utf8").trim();
      });
      tokens.set(tenantId, token);
    }
    return token;
  };

  const withCredential = async (request: InjectOptions): Promise<InjectOptions> => {
    const headers = (request.headers ?? {}) as Record<string, unknown>;
    if (headerNamed(headers, "authorization") !== undefined) return request;
    const tenant = headerNamed(headers, "x-tenant-id")?.value;
    const token = await tokenFor(typeof tenant === "string" && tenant !== "" ? tenant : "default");
    return { ...request, headers: { ...headers, authorization: `Bearer ${token}` } as InjectOptions["headers"] };
  };

  const inject = (async (request: InjectArgument, callback?: unknown) => {
    if (request === undefined || callback !== undefined) throw new Error("authenticatedServer: use `await app.inject({ ... })` (no chain, no callback), or injectRaw");
    const options = typeof request === "string" ? { url: request } : request;
    return (await injectRaw(await withCredential(options))) as LightMyRequestResponse;
  }) as unknown as FastifyInstance["inject"];
  (app as { inject: FastifyInstance["inject"] }).inject = inject;

  const principalToken: AuthenticatedServer["principalToken"] = async (principalId, principalOptions = {}) => {
    const tenantId = principalOptions.tenantId ?? "default";
    const authorization = `Bearer ${await tokenFor(tenantId)}`;
    const created = await injectRaw({
      method: "POST",
      url: "/principals",
      headers: { authorization },
      payload: { principalId, kind: principalOptions.kind ?? "user", roles: principalOptions.roles ?? ["writer"] },
    });
    if (created.statusCode !== 201) throw new Error(`creating principal ${principalId} in ${tenantId}: ${created.statusCode} ${created.body}`);
    const issued = await injectRaw({ method: "POST", url: `/principals/${encodeURIComponent(principalId)}/keys`, headers: { authorization }, payload: { scopes: principalOptions.scopes ?? ["admin"] } });
    if (issued.statusCode !== 201) throw new Error(`issuing a key to ${principalId} in ${tenantId}: ${issued.statusCode} ${issued.body}`);
    return (issued.json() as { token: string }).token;
  };

  return {
    app,
    injectRaw,
    tokenFor,
    authHeaders: async (tenantId) => ({ authorization: `Bearer ${await tokenFor(tenantId)}` }),
    principalToken,
  };
}

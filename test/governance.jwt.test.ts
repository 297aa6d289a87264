import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jwtAuthenticator, looksLikeJwt, type JwtConfig } from "../src/governance/jwtAuthenticator.js";

describe("OIDC/JWT bearer tokens", () => {
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwks: Server;
  let jwksUrl: string;
  const base = { issuer: "https://idp.example", audience: "memledger", tenant: { claim: "tenant" }, roleMap: { "mem-admins": "tenant_admin", "mem-readers": "reader" } } satisfies Partial<JwtConfig>;
  const sign = (claims: Record<string, unknown>, over: { iss?: string; aud?: string; exp?: number | string; kid?: string } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: over.kid ?? "k1" })
      .setIssuer(over.iss ?? base.issuer)
      .setAudience(over.aud ?? base.audience)
      .setSubject("alice")
      .setIssuedAt()
      .setExpirationTime(over.exp ?? "10m")
      .sign(keys.privateKey);

  beforeAll(async () => {
    keys = await generateKeyPair("RS256", { extractable: true });
    const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    // A real HTTP JWKS endpoint, as an identity provider serves it.
    jwks = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  it("maps a valid token's claims to a principal, its mapped roles, groups and scopes (JWKS URL and static PEM key)", async () => {
    const token = await sign({ tenant: "acme", roles: ["mem-readers", "unrelated"], groups: ["support"], scope: "openid read" });
    expect(looksLikeJwt(token)).toBe(true);
    for (const config of [{ ...base, jwksUrl }, { ...base, publicKey: await exportSPKI(keys.publicKey) }] as JwtConfig[]) {
      const verify = await jwtAuthenticator(config);
      expect(await verify(token)).toEqual({
        ok: true,
        identity: { principal: { tenantId: "acme", principalId: "alice", kind: "user", roles: ["reader"], groups: ["support"], disabled: false }, scopes: ["read"], tokenId: expect.any(String) },
      });
    }
  });

  it("refuses a wrong issuer, a wrong audience, an expired token, a forged signature and a token without a tenant, each saying why", async () => {
    const verify = await jwtAuthenticator({ ...base, jwksUrl, clockToleranceSeconds: 5 });
    expect(await verify(await sign({ tenant: "acme" }, { iss: "https://evil.example" }))).toMatchObject({ ok: false, why: expect.stringContaining("iss") });
    expect(await verify(await sign({ tenant: "acme" }, { aud: "someone-else" }))).toMatchObject({ ok: false, why: expect.stringContaining("aud") });
    const past = Math.floor(Date.now() / 1000) - 60;
    expect(await verify(await sign({ tenant: "acme" }, { exp: past }))).toMatchObject({ ok: false, why: expect.stringContaining("expired") });
    // Within the clock tolerance an only just expired token is still accepted.
    expect(await verify(await sign({ tenant: "acme" }, { exp: Math.floor(Date.now() / 1000) - 2 }))).toMatchObject({ ok: true });
    const token = await sign({ tenant: "acme" });
    const [header, payload] = token.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), sub: "root" })).toString("base64url");
    expect(await verify(`${header}.${forgedPayload}.${token.split(".")[2]}`)).toMatchObject({ ok: false, why: expect.stringContaining("could not be verified") });
    expect(await verify(await sign({}))).toMatchObject({ ok: false, why: expect.stringContaining("tenant") });
    expect(looksLikeJwt("mlk.acme.abc.def")).toBe(false);
  });
});

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * API keys are `mlk.<tenant>.<keyId>.<secret>`: the tenant and key id are
 * public (they find the key without a scan), the secret is 256 random bits.
 * Only a SHA-256 of the whole key is stored: a slow password hash (bcrypt,
 * argon2) protects low-entropy secrets, and a 256-bit random one needs none.
 */
const scheme = "mlk";

export interface NewApiKey {
  readonly keyId: string;
  /** What listings show: enough to tell keys apart, useless to authenticate. */
  readonly prefix: string;
  /** The whole key, shown once. */
  readonly token: string;
  readonly secretHash: string;
}

export const hashApiKey = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

export function newApiKey(tenantId: string): NewApiKey {
  const keyId = randomBytes(9).toString("base64url");
  const token = `${scheme}.${tenantId}.${keyId}.${randomBytes(32).toString("base64url")}`;
  return { keyId, prefix: `${scheme}.${tenantId}.${keyId}`, token, secretHash: hashApiKey(token) };
}

/** The public part of a presented key, or undefined when it is not shaped like one of ours. */
export function parseApiKey(token: string): { readonly tenantId: string; readonly keyId: string } | undefined {
  const parts = token.split(".");
  if (parts.length < 4 || parts[0] !== scheme) return undefined;
  const secret = parts[parts.length - 1]!;
  const keyId = parts[parts.length - 2]!;
  const tenantId = parts.slice(1, -2).join(".");
  const base64url = /^[A-Za-z0-9_-]+$/;
  if (tenantId === "" || !base64url.test(keyId) || !base64url.test(secret)) return undefined;
  return { tenantId, keyId };
}

/** Constant-time comparison of a presented key with the stored hash. */
export function matchesApiKey(token: string, secretHash: string): boolean {
  const presented = Buffer.from(hashApiKey(token), "hex");
  const stored = Buffer.from(secretHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** How an encrypted field is stored in an event's JSON data. */
export interface SealedValue {
  readonly $sealed: "aes-256-gcm";
  readonly keyId: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

export function isSealed(value: unknown): value is SealedValue {
  return typeof value === "object" && value !== null && (value as { $sealed?: unknown }).$sealed === "aes-256-gcm";
}

/**
 * AES-256-GCM with a fresh 96-bit IV per value. The key id is authenticated
 * data, so a sealed value cannot be moved under another unit's key unnoticed.
 */
export function seal(value: unknown, keyId: string, key: Buffer): SealedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(keyId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return { $sealed: "aes-256-gcm", keyId, iv: iv.toString("base64"), ciphertext: ciphertext.toString("base64"), tag: cipher.getAuthTag().toString("base64") };
}

export function unseal(sealed: SealedValue, key: Buffer): unknown {
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
  decipher.setAAD(Buffer.from(sealed.keyId, "utf8"));
  decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
  const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, "base64")), decipher.final()]);
  return JSON.parse(plain.toString("utf8"));
}

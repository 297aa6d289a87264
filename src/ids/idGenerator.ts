import { Context, Layer } from "effect";
import { randomBytes } from "node:crypto";

export interface IdGeneratorPort {
  newId(): string;
}

export class IdGenerator extends Context.Tag("memledger/IdGenerator")<IdGenerator, IdGeneratorPort>() {}

/**
 * UUIDv7 (RFC 9562): time-ordered, so ids sort roughly by creation and index
 * well, while the 74 random bits keep them unguessable.
 */
export function uuidv7(nowMs: number = Date.now(), random: Buffer = randomBytes(10)): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  random.copy(bytes, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const randomIds: IdGeneratorPort = { newId: () => uuidv7() };

/** Predictable ids for tests: prefix-1, prefix-2, … */
export function sequentialIds(prefix = "id"): IdGeneratorPort {
  let n = 0;
  return { newId: () => `${prefix}-${++n}` };
}

export const layerRandomIds = Layer.succeed(IdGenerator, randomIds);
export const layerIdGenerator = (ids: IdGeneratorPort) => Layer.succeed(IdGenerator, ids);

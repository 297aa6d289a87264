/** JSON schemas of the tamper-evidence routes (POST /audit/verify, /audit/checkpoints). */

const findingSchema = {
  type: "object",
  required: ["kind", "message"],
  additionalProperties: false,
  properties: {
    kind: { type: "string", enum: ["changed", "removed", "out_of_order", "chain_broken", "unhashed", "truncated", "checkpoint", "unreadable"] },
    streamId: { type: "string" },
    revision: { type: "integer" },
    position: { type: "integer" },
    tenantId: { type: "string" },
    message: { type: "string", description: "what is wrong, naming the stream, revision and log position" },
  },
} as const;

export const tamperReportSchema = {
  type: "object",
  required: ["ok", "file", "events", "streams", "head", "unchained", "problems", "problemsOmitted", "checkpoints", "seconds"],
  additionalProperties: false,
  properties: {
    ok: { type: "boolean", description: "true when every checksum and hash chain holds and every signed checkpoint verifies" },
    file: { type: "string" },
    events: { type: "integer" },
    streams: { type: "integer" },
    head: { type: "object", required: ["position", "chainHash"], additionalProperties: false, properties: { position: { type: "integer" }, chainHash: { type: "string" } } },
    unchained: { type: "integer", description: "events stored before hash chains, not chained yet" },
    firstBad: { ...findingSchema, description: "the first problem in log order" },
    problems: { type: "array", items: findingSchema },
    problemsOmitted: { type: "integer" },
    checkpoints: {
      type: "object",
      required: ["found", "verified"],
      additionalProperties: false,
      properties: {
        found: { type: "integer" },
        verified: { type: "integer" },
        latestVerified: { type: "object", required: ["position", "signedAt", "chainHash"], additionalProperties: false, properties: { position: { type: "integer" }, signedAt: { type: "string" }, chainHash: { type: "string" } } },
        skipped: { type: "string" },
      },
    },
    seconds: { type: "number" },
  },
} as const;

export const signedCheckpointSchema = {
  type: "object",
  required: ["format", "position", "chainHash", "signedAt", "signature"],
  additionalProperties: false,
  properties: {
    format: { type: "integer", enum: [1, 2], description: "1: the embedded log; 2: an EventStoreDB/KurrentDB log, whose position is a commit and a prepare position" },
    position: { type: "integer", description: "the log position (format 2: the $all commit position)" },
    prepare: { type: "integer", description: "format 2 only: the $all prepare position" },
    chainHash: { type: "string", description: "hex SHA-256 chain hash at position (format 2: the running hash over $all)" },
    signedAt: { type: "string", format: "date-time" },
    signature: { type: "string", description: "base64 ed25519 signature over the compact JSON of {format, position, chainHash, signedAt} (format 2: {format, position, prepare, chainHash, signedAt})" },
  },
} as const;

export const publicKeySchema = {
  type: "object",
  required: ["publicKey"],
  additionalProperties: false,
  properties: { publicKey: { type: "string", description: "SPKI PEM of the ed25519 checkpoint key" } },
} as const;

import { cubePermissions, keyScopes, principalKinds, tenantRoles } from "../../domain/governance/permissions.js";
import { isoTime } from "./schemas.js";

/** Principal and group ids: the same rule as the governance decider's (domain/governance/decideGovernance.ts). */
const governanceId = { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9._:@-]*$" } as const;
const role = { type: "string", enum: [...tenantRoles] } as const;
const permission = { type: "string", enum: [...cubePermissions] } as const;
const grantee = {
  type: "object",
  additionalProperties: false,
  required: ["kind", "id"],
  properties: { kind: { type: "string", enum: ["principal", "group"] }, id: governanceId },
} as const;

export const principalSchema = {
  type: "object",
  properties: {
    tenantId: { type: "string" },
    principalId: { type: "string" },
    kind: { type: "string", enum: [...principalKinds] },
    displayName: { type: "string" },
    roles: { type: "array", items: { type: "string" } },
    groups: { type: "array", items: { type: "string" } },
    disabled: { type: "boolean" },
  },
} as const;
export const principalListSchema = { type: "object", properties: { principals: { type: "array", items: principalSchema } } } as const;

export const createPrincipalBody = {
  type: "object",
  additionalProperties: false,
  required: ["principalId", "kind"],
  properties: {
    principalId: governanceId,
    kind: { type: "string", enum: [...principalKinds] },
    displayName: { type: "string", minLength: 1, maxLength: 200 },
    roles: { type: "array", maxItems: tenantRoles.length, uniqueItems: true, items: role },
    groups: { type: "array", maxItems: 100, uniqueItems: true, items: governanceId },
  },
} as const;

export const roleBody = { type: "object", additionalProperties: false, required: ["role"], properties: { role } } as const;
export const groupBody = { type: "object", additionalProperties: false, required: ["group"], properties: { group: governanceId } } as const;
export const delegationBody = { type: "object", additionalProperties: false, required: ["agentId"], properties: { agentId: governanceId } } as const;

export const issueKeyBody = {
  type: "object",
  additionalProperties: false,
  required: ["scopes"],
  properties: {
    scopes: { type: "array", minItems: 1, maxItems: keyScopes.length, uniqueItems: true, items: { type: "string", enum: [...keyScopes] } },
    expiresAt: isoTime,
  },
} as const;

export const keySchema = {
  type: "object",
  properties: {
    keyId: { type: "string" },
    principalId: { type: "string" },
    prefix: { type: "string" },
    scopes: { type: "array", items: { type: "string" } },
    expiresAt: { type: "string" },
    revoked: { type: "boolean" },
  },
} as const;
export const issuedKeySchema = {
  type: "object",
  properties: { ...keySchema.properties, token: { type: "string", description: "The whole key. Shown once: only its hash is stored." } },
} as const;
export const keyListSchema = { type: "object", properties: { keys: { type: "array", items: keySchema } } } as const;

export const grantBody = { type: "object", additionalProperties: false, required: ["grantee", "permission"], properties: { grantee, permission } } as const;
export const grantListSchema = {
  type: "object",
  properties: { cubeId: { type: "string" }, grants: { type: "array", items: { type: "object", properties: { grantee: { type: "object", properties: { kind: { type: "string" }, id: { type: "string" } } }, permission: { type: "string" } } } } },
} as const;

export const asOfTimeQuery = { type: "object", additionalProperties: false, properties: { asOfTime: isoTime } } as const;

export const readAuditQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    memoryId: { type: "string", minLength: 1, maxLength: 200 },
    principalId: governanceId,
    from: isoTime,
    to: isoTime,
    after: { type: "integer", minimum: 0 },
    limit: { type: "integer", minimum: 1, maximum: 1_000 },
  },
} as const;

const readRecordSchema = {
  type: "object",
  properties: {
    seq: { type: "integer" },
    at: { type: "string" },
    tenantId: { type: "string" },
    principalId: { type: "string" },
    onBehalfOf: { type: "string" },
    action: { type: "string" },
    queryFingerprint: { type: "string" },
    cubeIds: { type: "array", items: { type: "string" } },
    memoryIds: { type: "array", items: { type: "string" } },
    requestId: { type: "string" },
  },
} as const;
export const readRecordListSchema = { type: "object", properties: { reads: { type: "array", items: readRecordSchema } } } as const;

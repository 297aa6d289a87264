import { holdScopeKinds } from "../../domain/legalHold/holdEvents.js";
import { isoTime } from "./schemas.js";

const open = (properties: Record<string, object>) => ({ type: "object", additionalProperties: true, properties }) as const;
const string = { type: "string" } as const;
const reason = { type: "string", minLength: 1, maxLength: 2000, description: "why: the matter, the case number, who asked" } as const;
const scope = {
  type: "object",
  additionalProperties: false,
  required: ["kind", "id"],
  properties: {
    kind: { type: "string", enum: [...holdScopeKinds], description: "memory: one unit; cube: every unit of the cube; subject: every unit of the data subject" },
    id: { type: "string", minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9._:@-]*$" },
  },
} as const;

export const placeHoldBody = { type: "object", additionalProperties: false, required: ["scope", "reason"], properties: { scope, reason } } as const;
export const releaseHoldBody = { type: "object", additionalProperties: false, required: ["reason"], properties: { reason } } as const;
export const listHoldsQuery = {
  type: "object",
  additionalProperties: false,
  properties: { asOfTime: isoTime, includeReleased: { type: "string", enum: ["true", "false"], description: "true: released holds too" } },
} as const;

export const holdSchema = open({
  holdId: string,
  scope: open({ kind: string, id: string }),
  reason: string,
  placedBy: string,
  placedAt: string,
  active: { type: "boolean" },
  released: open({ reason: string, releasedBy: string, releasedAt: string }),
  resumedErasures: { type: "array", items: open({ erasureId: string, memoryId: string, jobId: string }) },
});
export const holdListSchema = open({ holds: { type: "array", items: holdSchema } });
export const pendingErasureListSchema = open({
  pending: {
    type: "array",
    items: open({ erasureId: string, memoryId: string, scope: string, subjectId: string, requestedBy: string, requestedAt: string, reason: string, holdIds: { type: "array", items: string }, waitingOn: { type: "array", items: string } }),
  },
});

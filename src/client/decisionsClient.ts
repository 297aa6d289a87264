import type { RequestOptions } from "../app/ledgerApi.js";
import type { DecisionView } from "../../domain/memoryDecisions/decisionLog.js";
import type { DecisionsApi } from "../memoryDecisions/decisionsApi.js";

type Call = <T>(request: { readonly method: "GET" | "POST" | "PUT" | "DELETE"; readonly path: string; readonly body?: unknown; readonly ctx?: RequestOptions }) => Promise<T>;

/** `decisions` over REST. */
export function remoteDecisions(call: Call): DecisionsApi<RequestOptions> {
  const decision = (decisionId: string, tail = "") => `/decisions/${encodeURIComponent(decisionId)}${tail}`;
  const modePath = (cubeId: string) => `/cubes/${encodeURIComponent(cubeId)}/decision-mode`;
  return {
    list: async (cubeId) => (await call<{ decisions: DecisionView[] }>({ method: "GET", path: `/cubes/${encodeURIComponent(cubeId)}/decisions` })).decisions,
    get: (decisionId) => call({ method: "GET", path: decision(decisionId) }),
    revert: (decisionId, ctx) => call({ method: "POST", path: decision(decisionId, "/revert"), body: {}, ...(ctx ? { ctx } : {}) }),
    accept: (decisionId, ctx) => call({ method: "POST", path: decision(decisionId, "/accept"), body: {}, ...(ctx ? { ctx } : {}) }),
    reject: (decisionId, ctx) => call({ method: "POST", path: decision(decisionId, "/reject"), body: {}, ...(ctx ? { ctx } : {}) }),
    mode: (cubeId) => call({ method: "GET", path: modePath(cubeId) }),
    setMode: (cubeId, mode, ctx) => call({ method: "PUT", path: modePath(cubeId), body: { mode }, ...(ctx ? { ctx } : {}) }),
  };
}

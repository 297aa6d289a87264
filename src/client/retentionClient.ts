import type { RequestOptions } from "../app/ledgerApi.js";
import type { RetentionApi, RetentionRunReport } from "../retention/retentionApi.js";

type Call = <T>(request: { readonly method: "GET" | "POST" | "PUT" | "DELETE"; readonly path: string; readonly body?: unknown; readonly ctx?: RequestOptions }) => Promise<T>;

/** `retention` over REST. */
export function remoteRetention(call: Call): RetentionApi<RequestOptions> {
  const policyPath = (cubeId: string, tail = "") => `/cubes/${encodeURIComponent(cubeId)}/retention-policy${tail}`;
  return {
    setPolicy: (cubeId, policy, ctx) => call({ method: "PUT", path: policyPath(cubeId), body: policy, ...(ctx ? { ctx } : {}) }),
    getPolicy: (cubeId) => call({ method: "GET", path: policyPath(cubeId) }),
    removePolicy: (cubeId, ctx) => call({ method: "DELETE", path: policyPath(cubeId), ...(ctx ? { ctx } : {}) }),
    dryRun: (cubeId, policy) => call({ method: "POST", path: policyPath(cubeId, "/dry-run"), body: policy !== undefined ? { policy } : {} }),
    runs: async (cubeId) => (await call<{ runs: RetentionRunReport[] }>({ method: "GET", path: `/cubes/${encodeURIComponent(cubeId)}/retention-runs` })).runs,
  };
}

import type { RequestOptions } from "../app/ledgerApi.js";
import type { HoldsApi, HoldView, PendingErasureView } from "../legalHold/holdsApi.js";

type Query = Record<string, string | number | undefined>;
type Call = <T>(request: { readonly method: "GET" | "POST"; readonly path: string; readonly query?: Query; readonly body?: unknown; readonly ctx?: RequestOptions }) => Promise<T>;

/** `holds` over REST; the tenant is the API key's, so a tenantId option is ignored. */
export function remoteHolds(call: Call): HoldsApi<RequestOptions> {
  return {
    place: (request, ctx) => call({ method: "POST", path: "/holds", body: request, ...(ctx ? { ctx } : {}) }),
    release: (holdId, reason, ctx) => call({ method: "POST", path: `/holds/${encodeURIComponent(holdId)}/release`, body: { reason }, ...(ctx ? { ctx } : {}) }),
    list: async (options = {}) =>
      (await call<{ holds: HoldView[] }>({ method: "GET", path: "/holds", query: { asOfTime: options.asOfTime, includeReleased: options.includeReleased ? "true" : undefined } })).holds,
    pendingErasures: async () => (await call<{ pending: PendingErasureView[] }>({ method: "GET", path: "/erasures/pending" })).pending,
  };
}

import type { RequestOptions } from "../app/ledgerApi.js";
import type { RedactionLedgerApi } from "../redaction/redactionLedgerApi.js";

/** What the HTTP client lends the redaction namespace. */
export interface RedactionTransport {
  get<T>(path: string): Promise<T>;
  put<T>(path: string, body: unknown, ctx?: RequestOptions): Promise<T>;
}

/** The redaction namespace over REST (src/redaction/redactionRoutes.ts). */
export function httpRedaction(http: RedactionTransport): RedactionLedgerApi<RequestOptions> {
  const cube = (cubeId: string) => `/cubes/${encodeURIComponent(cubeId)}/redaction`;
  const memory = (memoryId: string, what: string) => `/memories/${encodeURIComponent(memoryId)}/${what}`;
  return {
    configure: (cubeId, settings, ctx) => http.put(cube(cubeId), settings, ctx),
    settings: (cubeId) => http.get(cube(cubeId)),
    explain: async (memoryId) => (await http.get<{ records: Awaited<ReturnType<RedactionLedgerApi<RequestOptions>["explain"]>> }>(memory(memoryId, "redaction"))).records,
    originals: async (memoryId) => (await http.get<{ records: Awaited<ReturnType<RedactionLedgerApi<RequestOptions>["originals"]>> }>(memory(memoryId, "unredacted"))).records,
  };
}

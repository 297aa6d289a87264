import type { EsdbSignedCheckpoint } from "./esdbCheckpoints.js";
import type { SignedCheckpoint } from "./signedCheckpoints.js";
import type { TamperEvidenceApi } from "./tamperEvidenceApi.js";
import type { TamperReport } from "./walkHashChain.js";

/** `ledger.tamperEvidence` over REST (src/server/routes/tamperEvidenceRoutes.ts). */
export function httpTamperEvidence(http: { get<T>(path: string): Promise<T>; post<T>(path: string, body: unknown): Promise<T> }): TamperEvidenceApi {
  return {
    verify: () => http.post<TamperReport>("/audit/verify", {}),
    checkpoint: () => http.post<SignedCheckpoint | EsdbSignedCheckpoint>("/audit/checkpoints", {}),
    publicKey: () => http.get<{ publicKey: string }>("/audit/checkpoints/public-key"),
  };
}

import type { TamperEvidenceApi } from "./tamperEvidenceApi.js";
import type { EsdbTamperEvidenceSettings } from "./esdbTamperEvidence.js";

/** Loaded on first use: an embedded ledger never loads the gRPC client (as memLedger.ts loads the adapter). */
const load = () => import("./esdbTamperEvidence.js");

/** The trusted root's `ledger.tamperEvidence` on an EventStoreDB/KurrentDB log; principals get it through scopedTamperEvidence. */
export function rootEsdbTamperEvidence(settings: EsdbTamperEvidenceSettings): TamperEvidenceApi {
  return {
    verify: async () => (await load()).verifyEsdbTamperEvidence(settings),
    checkpoint: async () => (await load()).esdbCheckpointNow(settings),
    publicKey: async () => ({ publicKey: (await load()).esdbCheckpointPublicKey(settings) }),
  };
}

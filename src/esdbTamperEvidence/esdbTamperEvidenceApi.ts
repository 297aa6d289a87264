import type { TamperEvidenceApi } from "../tamperEvidence/tamperEvidenceApi.js";
import { esdbCheckpointNow, esdbCheckpointPublicKey, verifyEsdbTamperEvidence, type EsdbTamperEvidenceSettings } from "./esdbTamperEvidence.js";

/** The trusted root's `ledger.tamperEvidence` on an EventStoreDB/KurrentDB log; principals get it through scopedTamperEvidence. */
export function rootEsdbTamperEvidence(settings: EsdbTamperEvidenceSettings): TamperEvidenceApi {
  return {
    verify: () => verifyEsdbTamperEvidence(settings),
    checkpoint: () => esdbCheckpointNow(settings),
    publicKey: async () => ({ publicKey: esdbCheckpointPublicKey(settings) }),
  };
}

import { basename } from "node:path";
import type { EsdbSignedCheckpoint } from "./esdbCheckpoints.js";
import type { SignedCheckpoint } from "./signedCheckpoints.js";
import { checkpointNow, checkpointPublicKey, verifyTamperEvidence, type TamperEvidenceSettings } from "./tamperEvidence.js";
import type { TamperFinding, TamperReport } from "./walkHashChain.js";

/** Tamper evidence of the event log, for `ledger.tamperEvidence` (in-process, per principal, and over REST). */
export interface TamperEvidenceApi {
  /** Walks the whole log and checks the signed checkpoints (`log.verify`: tenant admins and auditors). */
  verify(): Promise<TamperReport>;
  /** Signs the log's head now and appends the checkpoint (`log.checkpoint`: tenant admins); publish the answer. Format 2 on EventStoreDB. */
  checkpoint(): Promise<SignedCheckpoint | EsdbSignedCheckpoint>;
  /** The public key that checks the checkpoints (`log.verify`). */
  publicKey(): Promise<{ readonly publicKey: string }>;
}

/** The trusted root's namespace over the data directory's log (EventStoreDB logs: esdbTamperEvidenceApi.ts). */
export function rootTamperEvidence(settings: TamperEvidenceSettings): TamperEvidenceApi {
  return {
    verify: () => verifyTamperEvidence(settings),
    checkpoint: async () => checkpointNow(settings),
    publicKey: async () => ({ publicKey: checkpointPublicKey(settings) }),
  };
}

/**
 * The namespace for a principal: the gate first; then the report with other tenants' events kept anonymous
 * (the log is shared by every tenant: a finding in another tenant's stream shows its position and kind only).
 */
export function scopedTamperEvidence(root: TamperEvidenceApi, caller: { readonly tenantId: string; check(action: "log.verify" | "log.checkpoint"): Promise<void> }): TamperEvidenceApi {
  const anonymous = (finding: TamperFinding): TamperFinding =>
    finding.tenantId === undefined || finding.tenantId === caller.tenantId
      ? finding
      : {
          kind: finding.kind,
          ...(finding.position !== undefined ? { position: finding.position } : {}),
          message: `log position ${finding.position ?? "?"}: ${finding.kind.replace("_", " ")} in an event of another tenant (its details are in the operator's \`memledger audit verify\`)`,
        };
  return {
    verify: async () => {
      await caller.check("log.verify");
      const report = await root.verify();
      // The path of the data directory (or the server) is the operator's business.
      return { ...report, file: basename(report.file), problems: report.problems.map(anonymous), ...(report.firstBad ? { firstBad: anonymous(report.firstBad) } : {}) };
    },
    checkpoint: async () => {
      await caller.check("log.checkpoint");
      return root.checkpoint();
    },
    publicKey: async () => {
      await caller.check("log.verify");
      return root.publicKey();
    },
  };
}

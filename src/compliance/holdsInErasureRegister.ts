import type { HoldsApi } from "../legalHold/holdsApi.js";
import type { ErasureRegisterExtension } from "./reportsFacade.js";
import type { ErasureRow } from "../readModels/compliance/reportRows.js";

/**
 * The erasure register's current-state rows: every active legal hold and every
 * erasure waiting for one to be released (GDPR art. 17(3)(e)). They have no
 * log position of their own in the register, so they carry position 0 and
 * come after the certificates, on the last page.
 */
export function holdsInErasureRegister(holds: Pick<HoldsApi<unknown>, "list" | "pendingErasures">): ErasureRegisterExtension {
  return {
    pendingAndHolds: async (tenantId) => {
      const active = await holds.list({ tenantId });
      const pending = await holds.pendingErasures({ tenantId });
      const holdRows: ErasureRow[] = active.map((hold) => ({
        position: 0,
        recordedAt: hold.placedAt,
        tenant: tenantId,
        kind: "hold",
        ...(hold.scope.kind === "subject" ? { subjectId: hold.scope.id } : hold.scope.kind === "memory" ? { memoryId: hold.scope.id } : {}),
        actor: hold.placedBy,
        reason: `hold ${hold.holdId} on ${hold.scope.kind} ${hold.scope.id}: ${hold.reason}`,
      }));
      const pendingRows: ErasureRow[] = pending.map((erasure) => ({
        position: 0,
        recordedAt: erasure.requestedAt,
        tenant: tenantId,
        kind: "pending",
        memoryId: erasure.memoryId,
        ...(erasure.subjectId !== undefined ? { subjectId: erasure.subjectId } : {}),
        actor: erasure.requestedBy,
        reason: `waiting on hold(s) ${erasure.waitingOn.join(", ")}: ${erasure.reason}`,
      }));
      return [...holdRows, ...pendingRows];
    },
  };
}

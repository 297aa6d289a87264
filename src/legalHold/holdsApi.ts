import type { HoldScope } from "../../domain/legalHold/holdEvents.js";
import type { PendingErasure } from "../../domain/legalHold/holdState.js";

export interface PlaceHoldRequest {
  readonly scope: HoldScope;
  /** Why: the matter, the case number, who asked. Shown to everyone the hold refuses. */
  readonly reason: string;
}

/** An erasure a release let run: the job that carries it out. */
export interface ResumedErasure {
  readonly erasureId: string;
  readonly memoryId: string;
  readonly jobId: string;
}

export interface HoldView {
  readonly holdId: string;
  readonly scope: HoldScope;
  readonly reason: string;
  readonly placedBy: string;
  readonly placedAt: string;
  readonly active: boolean;
  readonly released?: { readonly reason: string; readonly releasedBy: string; readonly releasedAt: string };
  /** On a release: the pending erasures it freed, each now a job. */
  readonly resumedErasures?: readonly ResumedErasure[];
}

export interface ListHoldsOptions {
  /** The holds active at this moment instead of now. */
  readonly asOfTime?: string;
  /** Released holds too. */
  readonly includeReleased?: boolean;
  /** The root ledger's tenant by default; a principal always sees its own tenant. */
  readonly tenantId?: string;
}

/** An erasure refused under hold and waiting; `waitingOn` are the active holds that still cover the unit. */
export type PendingErasureView = PendingErasure & { readonly waitingOn: readonly string[] };

/** Legal holds (docs/compliance.md): place, release, list; the erasures they keep waiting. */
export interface HoldsApi<Ctx> {
  place(request: PlaceHoldRequest, ctx?: Ctx): Promise<HoldView>;
  /** Ends the hold; erasures no other hold covers run at once (as jobs). */
  release(holdId: string, reason: string, ctx?: Ctx): Promise<HoldView>;
  list(options?: ListHoldsOptions): Promise<readonly HoldView[]>;
  pendingErasures(options?: { readonly tenantId?: string }): Promise<readonly PendingErasureView[]>;
}

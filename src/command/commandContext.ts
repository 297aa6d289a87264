import type { AutomationProvenance } from "../../projections/envelope.js";

/** Who is acting, for which tenant, and why; travels into every event's envelope. */
export interface CommandContext {
  readonly tenantId: string;
  readonly actor: string;
  /** The user an agent acts for; accepted only under that user's delegation. */
  readonly onBehalfOf?: string;
  readonly reason?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Idempotency key: a command retried with the same id is applied once. */
  readonly commandId?: string;
  /** The model and prompt behind an automatic decision; copied onto every event the command writes. */
  readonly automation?: AutomationProvenance;
}

export const systemContext = (process: string, tenantId = "default"): CommandContext => ({ tenantId, actor: `system:${process}` });

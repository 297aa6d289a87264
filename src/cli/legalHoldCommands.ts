import type { Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import type { HoldScope } from "../../domain/legalHold/holdEvents.js";
import type { HoldView, PendingErasureView } from "../legalHold/holdsApi.js";

/** What the commands need from main.ts's program: its leaf builder and its ledger session. */
export interface LegalHoldCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string, opts?: { ownReason?: boolean }): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: Pick<LedgerApi<RequestOptions>, "holds">; readonly ctx: RequestOptions; print<T>(value: T, format: (value: T) => string): void }) => Promise<void>,
  ): Promise<void>;
}

export function formatHold(hold: HoldView): string {
  const lines = [
    `hold ${hold.holdId} on ${hold.scope.kind} ${hold.scope.id}: ${hold.active ? "active" : "released"}`,
    `  placed:   ${hold.placedAt} by ${hold.placedBy}: ${hold.reason}`,
    ...(hold.released ? [`  released: ${hold.released.releasedAt} by ${hold.released.releasedBy}: ${hold.released.reason}`] : []),
    ...(hold.resumedErasures ?? []).map((r) => `  erasure ${r.erasureId} of memory ${r.memoryId} now runs (job ${r.jobId})`),
  ];
  return lines.join("\n");
}

export const formatHolds = (holds: readonly HoldView[]): string => (holds.length === 0 ? "no holds" : holds.map(formatHold).join("\n"));

export const formatPendingErasures = (pending: readonly PendingErasureView[]): string =>
  pending.length === 0
    ? "no erasure is waiting for a hold"
    : pending
        .map((p) => `erasure ${p.erasureId} of memory ${p.memoryId} (${p.scope}${p.subjectId ? ` ${p.subjectId}` : ""}), asked ${p.requestedAt} by ${p.requestedBy}: ${p.waitingOn.length > 0 ? `waits for ${p.waitingOn.join(", ")}` : "free to run"}`)
        .join("\n");

interface PlaceOptions {
  memory?: string;
  cube?: string;
  subject?: string;
  reason: string;
}

/** `memledger hold place|release|list|pending`. */
export function registerLegalHoldCommands(program: Command, host: LegalHoldCliHost): void {
  const hold = program.command("hold").description("legal holds: while a hold covers a unit it cannot be erased, swept or changed");

  host
    .leaf(hold, "place", "place a hold on a memory, a cube or a data subject (tenant_admin, data_protection_officer)", { ownReason: true })
    .option("--memory <memoryId>", "hold one memory unit")
    .option("--cube <cubeId>", "hold every unit of a cube")
    .option("--subject <subjectId>", "hold every unit of a data subject")
    .requiredOption("--reason <why>", "the matter: case number, who asked")
    .action((o: PlaceOptions, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => {
        const given: HoldScope[] = [
          ...(o.memory !== undefined ? [{ kind: "memory" as const, id: o.memory }] : []),
          ...(o.cube !== undefined ? [{ kind: "cube" as const, id: o.cube }] : []),
          ...(o.subject !== undefined ? [{ kind: "subject" as const, id: o.subject }] : []),
        ];
        if (given.length !== 1) throw new Error("say what to hold: exactly one of --memory, --cube, --subject");
        print(await ledger.holds.place({ scope: given[0]!, reason: o.reason }, { ...ctx, reason: o.reason }), formatHold);
      }),
    );

  host
    .leaf(hold, "release <holdId>", "release a hold; erasures it kept waiting run when no other hold covers them", { ownReason: true })
    .requiredOption("--reason <why>", "why the hold ends")
    .action((holdId: string, o: { reason: string }, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.holds.release(holdId, o.reason, { ...ctx, reason: o.reason }), formatHold)),
    );

  host
    .leaf(hold, "list", "the tenant's active holds, now or as of a time")
    .option("--as-of <time>", "ISO-8601 time: the holds active then")
    .option("--all", "released holds too")
    .action((o: { asOf?: string; all?: boolean }, cmd: Command) =>
      host.withLedger(cmd, async ({ ledger, print }) =>
        print(await ledger.holds.list({ ...(o.asOf !== undefined ? { asOfTime: o.asOf } : {}), ...(o.all ? { includeReleased: true } : {}) }), formatHolds),
      ),
    );

  host
    .leaf(hold, "pending", "erasures refused under hold, waiting for a release")
    .action((_o: unknown, cmd: Command) => host.withLedger(cmd, async ({ ledger, print }) => print(await ledger.holds.pendingErasures(), formatPendingErasures)));
}

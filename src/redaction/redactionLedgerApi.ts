import type { RedactionSettings } from "../../domain/redaction/redactionSettings.js";
import type { Effect } from "effect";
import type { CommandContext } from "../command/commandContext.js";
import type { CubeRedactionView, RedactionApi, RedactionRecordView, UnredactedRecordView } from "./redactionService.js";

/** What a caller may send to configure a cube's redaction; omitted fields take their defaults. */
export type RedactionSettingsInput = Pick<RedactionSettings, "enabled"> & Partial<Omit<RedactionSettings, "enabled">>;

/** The `redaction` namespace of LedgerApi: per-cube masking of personal data at ingest. */
export interface RedactionLedgerApi<Ctx> {
  /** Sets the cube's redaction (cube admin); applies to writes from now on, never rewrites stored units. */
  configure(cubeId: string, settings: RedactionSettingsInput, ctx?: Ctx): Promise<CubeRedactionView>;
  settings(cubeId: string): Promise<CubeRedactionView>;
  /** What was masked in a unit: kinds and counts per write, never the values (readers of the unit). */
  explain(memoryId: string): Promise<readonly RedactionRecordView[]>;
  /** The sealed clear originals (memory.readUnredacted: data protection officers and tenant admins). */
  originals(memoryId: string): Promise<readonly UnredactedRecordView[]>;
}

/** What the principal-scoped facade lends the redaction namespace: its checks and its read audit. */
export interface ScopedRedactionChecks<Ctx> {
  /** Fails as a missing cube unless the caller may do `action` on it. */
  onCube(cubeId: string, action: "cube.read" | "cube.configure"): Promise<unknown>;
  /** The unit's cube, when the caller may read the unit; otherwise the 404 of a missing unit. */
  readableUnit(memoryId: string): Promise<{ readonly cubeId: string }>;
  /** The unit's cube, when the caller may read its unredacted originals. */
  unredactableUnit(memoryId: string): Promise<{ readonly cubeId: string }>;
  audited(action: "memory.redaction" | "memory.unredacted", request: unknown, cubeIds: readonly string[], memoryIds: readonly string[]): void;
  ctxOf(options?: Ctx): unknown;
}

/** The namespace as a principal sees it: every call asks the gate first; reading originals is audited. */
export function scopedRedaction<Ctx, RootCtx>(root: RedactionLedgerApi<RootCtx>, checks: ScopedRedactionChecks<Ctx>): RedactionLedgerApi<Ctx> {
  return {
    configure: async (cubeId, settings, options) => {
      await checks.onCube(cubeId, "cube.configure");
      return root.configure(cubeId, settings, checks.ctxOf(options) as RootCtx);
    },
    settings: async (cubeId) => {
      await checks.onCube(cubeId, "cube.read");
      return root.settings(cubeId);
    },
    explain: async (memoryId) => {
      const unit = await checks.readableUnit(memoryId);
      const records = await root.explain(memoryId);
      checks.audited("memory.redaction", { memoryId }, [unit.cubeId], [memoryId]);
      return records;
    },
    originals: async (memoryId) => {
      const unit = await checks.unredactableUnit(memoryId);
      const records = await root.originals(memoryId);
      checks.audited("memory.unredacted", { memoryId }, [unit.cubeId], [memoryId]);
      return records;
    },
  };
}

/** Runs one call of the Redaction service and rethrows its typed failure. */
export type RunRedaction = <A, E>(call: (redaction: RedactionApi) => Effect.Effect<A, E>) => Promise<A>;

/** The namespace for trusted in-process code: no checks, the context given (or the default one). */
export function rootRedaction(run: RunRedaction, ctxOr: (ctx?: CommandContext) => CommandContext): RedactionLedgerApi<CommandContext> {
  return {
    configure: (cubeId, settings, ctx) => run((r) => r.configure(cubeId, settings, ctxOr(ctx))),
    settings: (cubeId) => run((r) => r.settings(cubeId)),
    explain: (memoryId) => run((r) => r.explain(memoryId)),
    originals: (memoryId) => run((r) => r.originals(memoryId)),
  };
}

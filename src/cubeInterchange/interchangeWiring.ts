import type { CubeGrant } from "../../domain/governance/accessState.js";
import type { MemoryView } from "../../projections/memoryView.js";
import type { CommandContext } from "../command/commandContext.js";
import type { CubeView, ListMemoriesOptions, NewCubeInput } from "../cube/cubeService.js";
import type { NewMemoryInput } from "../memory/memoryService.js";
import type { ReadAuditLog } from "../readAudit/readAuditPort.js";
import { createHash } from "node:crypto";
import { canonicalJson } from "../command/canonicalJson.js";
import { interchangeFacade, type InterchangeApi, type InterchangeOps } from "./interchangeApi.js";
import { interchangeStore, type RunInterchange } from "./interchangeStore.js";

/** The parts of the root ledger the interchange writes and reads through (so creates are checked and idempotent as any other). */
export interface InterchangeLedger {
  readonly cubes: { create(input: NewCubeInput, ctx?: CommandContext): Promise<CubeView>; memories(cubeId: string, options?: ListMemoriesOptions): Promise<readonly MemoryView[]> };
  readonly memories: { create(input: NewMemoryInput, ctx?: CommandContext): Promise<MemoryView>; get(memoryId: string): Promise<MemoryView> };
}

/** The instance side of the interchange, assembled once per ledger. */
export function interchangeOps(
  run: RunInterchange,
  ledger: () => InterchangeLedger,
  deps: { readonly grantsOf: (cubeId: string) => Promise<readonly CubeGrant[]>; readonly tenantOfCube: (cubeId: string) => Promise<string | undefined> },
): InterchangeOps {
  const { sources, target } = interchangeStore(run, deps.grantsOf);
  return {
    sources,
    target,
    tenantOfCube: deps.tenantOfCube,
    createCube: (input, ctx) => ledger().cubes.create(input, ctx),
    createMemory: (input, ctx) => ledger().memories.create(input, ctx),
    findMemory: (memoryId) =>
      ledger()
        .memories.get(memoryId)
        .catch((error: unknown) => {
          if ((error as { _tag?: unknown })._tag === "MemoryNotFound") return undefined;
          throw error;
        }),
    listMemories: (cubeId) => ledger().cubes.memories(cubeId),
  };
}

const fingerprint = (request: unknown) => createHash("sha256").update(canonicalJson(request)).digest("hex");

/** Trusted in-process code: no check, and its exports are in the read audit under its actor, as its subject exports are. */
export function trustedInterchange(ops: InterchangeOps, defaults: CommandContext, readAudit: ReadAuditLog, now: () => string): InterchangeApi<CommandContext> {
  return interchangeFacade<CommandContext>(ops, {
    tenantId: defaults.tenantId,
    actor: defaults.actor,
    check: async () => undefined,
    ctxOf: (ctx) => ctx ?? defaults,
    recordExport: (cubeId, memoryIds, request) =>
      readAudit.record({ at: now(), tenantId: defaults.tenantId, principalId: defaults.actor, action: "export", queryFingerprint: fingerprint({ action: "export", request }), cubeIds: [cubeId], memoryIds }),
    onCubeCreated: async () => undefined,
  });
}

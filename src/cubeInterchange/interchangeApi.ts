import { createHash } from "node:crypto";
import type { CubeOwner } from "../../domain/cube/cubeEvents.js";
import type { Action } from "../../domain/governance/permissions.js";
import type { Resource } from "../../domain/governance/authorize.js";
import type { MemoryType } from "../../domain/memory/memoryContent.js";
import type { MemoryView } from "../../projections/memoryView.js";
import { cubeNotFound } from "../command/appErrors.js";
import { canonicalJson } from "../command/canonicalJson.js";
import type { CommandContext } from "../command/commandContext.js";
import type { CubeView, NewCubeInput } from "../cube/cubeService.js";
import { nameBasedId } from "../ids/nameBasedId.js";
import type { NewMemoryInput } from "../memory/memoryService.js";
import { exportCubeRecords, recordLines, type CubeExportSources } from "./cubeExport.js";
import { importCube, type CubeImportTarget, type ImportOptions, type ImportReport } from "./cubeImport.js";
import { flatRecord, parseExternal, type ExternalFormat } from "./externalFormats.js";
import type { ExportOptions } from "./interchangeRecords.js";

export interface ExternalImportRequest {
  readonly format: ExternalFormat;
  /** The file's whole text. */
  readonly text: string;
  /** An existing cube to import into (needs write on it); absent: a new cube is created. */
  readonly cubeId?: string;
  /** For a new cube: its name (default `imported from <format>`) and owner (default the importing actor as a user). */
  readonly name?: string;
  readonly owner?: CubeOwner;
}

export interface ExternalImportReport {
  readonly cubeId: string;
  readonly cubeCreated: boolean;
  readonly imported: number;
  /** Already imported by an earlier run of the same file into the same cube. */
  readonly alreadyPresent: number;
  readonly memoryIds: readonly string[];
}

/** Portable MemCubes (docs/interchange.md): a cube with its history out of one instance and into another. */
export interface InterchangeApi<Ctx> {
  /** The lines of a `memledger-cube/1` file. Permission is checked on the await; the lines stream after. */
  exportCube(cubeId: string, options?: ExportOptions): Promise<AsyncIterable<string>>;
  /** The cube's live units as flat JSONL (`{ id, text, metadata, created_at, updated_at, tags, memory_type, user_id }`). */
  exportFlat(cubeId: string): Promise<AsyncIterable<string>>;
  /** Verifies the whole file, then imports it; idempotent and resumable. `lines`: each element one or more whole lines. */
  importCube(lines: AsyncIterable<string> | Iterable<string>, options?: ImportOptions, ctx?: Ctx): Promise<ImportReport>;
  /** A mem0 export or a plain JSONL of `{ text, metadata, created_at }`, as new units of a cube. */
  importExternal(request: ExternalImportRequest, ctx?: Ctx): Promise<ExternalImportReport>;
}

/** What the facade needs of the instance (trusted). */
export interface InterchangeOps {
  readonly sources: CubeExportSources;
  readonly target: CubeImportTarget;
  tenantOfCube(cubeId: string): Promise<string | undefined>;
  createCube(input: NewCubeInput, ctx: CommandContext): Promise<CubeView>;
  createMemory(input: NewMemoryInput, ctx: CommandContext): Promise<MemoryView>;
  /** undefined when there is no such unit. */
  findMemory(memoryId: string): Promise<MemoryView | undefined>;
  listMemories(cubeId: string): Promise<readonly MemoryView[]>;
}

/** Who calls and how they are checked: the policy gate for a principal, nothing for trusted code. */
export interface InterchangeCaller<Ctx> {
  readonly tenantId: string;
  /** Named in the manifest as the exporter. */
  readonly actor: string;
  check(action: Action, resource: Resource, notFound: () => Error): Promise<void>;
  ctxOf(options?: Ctx): CommandContext;
  /** An export is a read of every unit it carries: recorded in the read audit. */
  recordExport(cubeId: string, memoryIds: readonly string[], request: unknown): void;
  /** The importer of a new cube administers it. */
  onCubeCreated(cubeId: string, ctx: CommandContext): Promise<void>;
}

const fingerprint = (request: unknown) => createHash("sha256").update(canonicalJson(request)).digest("hex");

/**
 * Export, import and external formats, written once for the root ledger and a
 * principal. Export of a cube's whole history needs `cube.export` (cube admin):
 * it carries every unit, private ones included, and every actor's name. Import
 * needs `cube.create`: it makes a cube, and its events name the importer.
 */
export function interchangeFacade<Ctx>(ops: InterchangeOps, caller: InterchangeCaller<Ctx>): InterchangeApi<Ctx> {
  const cubeResource = async (cubeId: string): Promise<Resource> => {
    const owner = await ops.tenantOfCube(cubeId);
    if (owner === undefined) throw cubeNotFound(cubeId);
    return { tenantId: owner, cubeId };
  };
  const tenant: Resource = { tenantId: caller.tenantId };
  const noSuch = () => new Error("unreachable: a tenant resource is never hidden");

  const exportable = async (cubeId: string) => {
    await caller.check("cube.export", await cubeResource(cubeId), () => cubeNotFound(cubeId));
    // Export reads the log directly; the read models need not be current, but the cube must answer.
    await ops.sources.cube(cubeId);
  };

  return {
    exportCube: async (cubeId, options = {}) => {
      await exportable(cubeId);
      const records = exportCubeRecords(ops.sources, cubeId, options, caller.actor, {
        done: (summary) => caller.recordExport(cubeId, summary.memoryIds, { export: cubeId, options }),
      });
      return recordLines(records);
    },
    exportFlat: async (cubeId) => {
      await exportable(cubeId);
      const units = await ops.listMemories(cubeId);
      return (async function* () {
        const shown: string[] = [];
        for (const unit of units) {
          const record = flatRecord(unit);
          if (record === undefined) continue;
          shown.push(unit.memoryId);
          yield `${JSON.stringify(record)}\n`;
        }
        caller.recordExport(cubeId, shown, { export: cubeId, flat: true });
      })();
    },
    importCube: async (lines, options = {}, ctxOptions) => {
      await caller.check("cube.create", tenant, noSuch);
      const ctx = caller.ctxOf(ctxOptions);
      // Resuming into a cube an earlier import made writes to it: the caller must be allowed to.
      const authorizeCube = async (cubeId: string, exists: boolean) => {
        if (exists) await caller.check("memory.write", await cubeResource(cubeId), () => cubeNotFound(cubeId));
      };
      const report = await importCube(ops.target, lines, ctx, { ...options, authorizeCube });
      // The importer administers the cube its import created (in this run or one that crashed), never one someone else's import made.
      if ((await ops.sources.cube(report.cubeId)).createdBy === ctx.actor) await caller.onCubeCreated(report.cubeId, ctx);
      return report;
    },
    importExternal: async (request, ctxOptions) => {
      const ctx = caller.ctxOf(ctxOptions);
      const memories = parseExternal(request.format, request.text);
      let cubeId = request.cubeId;
      let cubeCreated = false;
      if (cubeId !== undefined) {
        await caller.check("memory.write", await cubeResource(cubeId), () => cubeNotFound(cubeId!));
      } else {
        await caller.check("cube.create", tenant, noSuch);
        // The same file imported again finds the cube the first run made.
        cubeId = nameBasedId(`external-cube:${caller.tenantId}:${request.format}:${fingerprint(request.text)}`);
        if ((await ops.tenantOfCube(cubeId)) === undefined) {
          await ops.createCube({ cubeId, name: request.name ?? `imported from ${request.format}`, owner: request.owner ?? { kind: "user", id: ctx.actor } }, ctx);
          cubeCreated = true;
        }
        await caller.onCubeCreated(cubeId, ctx);
      }
      let imported = 0;
      let alreadyPresent = 0;
      const memoryIds: string[] = [];
      for (const [index, memory] of memories.entries()) {
        const memoryId = nameBasedId(`external-memory:${cubeId}:${memory.sourceId ?? `${index}:${fingerprint(memory)}`}`);
        memoryIds.push(memoryId);
        if ((await ops.findMemory(memoryId)) !== undefined) {
          alreadyPresent += 1;
          continue;
        }
        await ops.createMemory(
          {
            cubeId,
            memoryId,
            text: memory.text,
            tags: memory.tags,
            metadata: memory.metadata,
            ...(memory.userId !== undefined ? { userId: memory.userId } : {}),
            ...(memory.agentId !== undefined ? { agentId: memory.agentId } : {}),
            ...(memory.sessionId !== undefined ? { sessionId: memory.sessionId } : {}),
            // When the source recorded it is the best "when it happened" these formats know.
            ...(memory.createdAt !== undefined ? { eventTime: memory.createdAt } : {}),
            ...(memory.memoryType !== undefined ? { memoryType: memory.memoryType as MemoryType } : {}),
          },
          { ...ctx, commandId: nameBasedId(`external-create:${memoryId}`) },
        );
        imported += 1;
      }
      return { cubeId, cubeCreated, imported, alreadyPresent, memoryIds };
    },
  };
}

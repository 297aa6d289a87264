import type { Resource } from "../../domain/governance/authorize.js";
import type { Action } from "../../domain/governance/permissions.js";
import { cubeNotFound } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import type { AddDocumentRequest, AddDocumentResult } from "./documentReaderService.js";

/** Documents read into chunked memories (docs/documents.md). */
export interface DocumentsApi<Ctx> {
  /**
   * Records the document whole (a raw_source unit), then chunks it into units
   * whose sources name the page, headings and characters: as a job (default,
   * the answer carries it) or before returning (`async: false`, small documents).
   */
  add(cubeId: string, request: AddDocumentRequest, ctx?: Ctx): Promise<AddDocumentResult>;
}

/** Who adds, and how their right is checked: the policy gate for a principal, nothing for trusted code. */
export interface DocumentsCaller<Ctx> {
  /** The cube's owning tenant, or undefined when there is no such cube. */
  tenantOfCube(cubeId: string): Promise<string | undefined>;
  /** Throws the error the entry point answers (401, 403 or the cube's 404). */
  check(action: Action, resource: Resource, notFound: () => Error): Promise<void>;
  ctxOf(options?: Ctx): CommandContext;
}

/** One `documents` namespace for the root ledger and for a principal: adding a document is writing memories to the cube. */
export function documentsFacade<Ctx>(add: (cubeId: string, request: AddDocumentRequest, ctx: CommandContext) => Promise<AddDocumentResult>, caller: DocumentsCaller<Ctx>): DocumentsApi<Ctx> {
  return {
    add: async (cubeId, request, options) => {
      const owner = await caller.tenantOfCube(cubeId);
      if (owner === undefined) throw cubeNotFound(cubeId);
      await caller.check("memory.write", { tenantId: owner, cubeId }, () => cubeNotFound(cubeId));
      return add(cubeId, request, caller.ctxOf(options));
    },
  };
}

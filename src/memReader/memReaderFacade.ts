import type { Resource } from "../../domain/governance/authorize.js";
import type { Action } from "../../domain/governance/permissions.js";
import { cubeNotFound } from "../command/appErrors.js";
import type { CommandContext } from "../command/commandContext.js";
import type { AddMessagesRequest } from "./conversationMessage.js";
import type { AddMessagesResult } from "./memReaderService.js";

/** MemReader on the ledger: conversations in, memories with sources out. */
export interface MemReaderLedgerApi<Ctx> {
  /**
   * Stores every turn as a raw_source unit, then extracts memories from them:
   * fast (windows of turns, no model) or fine (a chat model's facts, events,
   * preferences, persona). Async by default (answers with the job); needs
   * `memory.write` on the cube.
   */
  addMessages(cubeId: string, request: AddMessagesRequest, ctx?: Ctx): Promise<AddMessagesResult>;
}

/** The reader's one operation as the trusted ledger runs it (idempotency claimed, context whole). */
export interface MemReaderOps {
  addMessages(cubeId: string, request: AddMessagesRequest, ctx: CommandContext): Promise<AddMessagesResult>;
}

/** Who calls: the policy gate for a principal, nothing for trusted code. */
export interface MemReaderCaller<Ctx> {
  check(action: Action, resource: Resource, notFound: () => Error): Promise<void>;
  ctxOf(options?: Ctx): CommandContext;
  tenantOfCube(cubeId: string): Promise<string | undefined>;
}

/** Written once for the root ledger and a principal's: only the caller differs. */
export function memReaderFacade<Ctx>(ops: MemReaderOps, caller: MemReaderCaller<Ctx>): MemReaderLedgerApi<Ctx> {
  return {
    addMessages: async (cubeId, request, options) => {
      const owner = await caller.tenantOfCube(cubeId);
      if (owner === undefined) throw cubeNotFound(cubeId);
      await caller.check("memory.write", { tenantId: owner, cubeId }, () => cubeNotFound(cubeId));
      return ops.addMessages(cubeId, request, caller.ctxOf(options));
    },
  };
}

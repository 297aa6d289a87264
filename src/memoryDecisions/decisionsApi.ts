import { Effect } from "effect";
import type { DecisionMode } from "../../domain/memoryDecisions/decisionEvents.js";
import type { DecisionView } from "../../domain/memoryDecisions/decisionLog.js";
import type { CommandContext } from "../command/commandContext.js";
import { decisionNotFound } from "./decisionErrors.js";
import { MemoryDecisions, type DecisionModeView } from "./decisionService.js";

/** Merge and conflict decisions on newly ingested units (docs/decisions.md): seen, explained, undone, or proposed for a person to accept. */
export interface DecisionsApi<Ctx> {
  /** The cube's decisions, oldest first, each with its inputs and reason. */
  list(cubeId: string): Promise<readonly DecisionView[]>;
  get(decisionId: string): Promise<DecisionView>;
  /** Returns every unit the decision changed to its revision before it (a MERGE's successor is archived). */
  revert(decisionId: string, ctx?: Ctx): Promise<DecisionView>;
  /** Runs a proposed decision. */
  accept(decisionId: string, ctx?: Ctx): Promise<DecisionView>;
  /** Drops a proposed decision: both units stay as they are. */
  reject(decisionId: string, ctx?: Ctx): Promise<DecisionView>;
  mode(cubeId: string): Promise<DecisionModeView>;
  /** `auto` (default): decisions run; `propose`: they wait for accept; `off`: none are made. */
  setMode(cubeId: string, mode: DecisionMode, ctx?: Ctx): Promise<DecisionModeView>;
}

type Runner = <A, E>(effect: Effect.Effect<A, E, MemoryDecisions>) => Promise<A>;

/** The trusted root's namespace: no policy check; reads find the cube in whichever tenant owns it. */
export function rootDecisions(run: Runner, defaults: CommandContext): DecisionsApi<CommandContext> {
  const on = <A, E>(f: (s: (typeof MemoryDecisions)["Service"]) => Effect.Effect<A, E>) => run(Effect.flatMap(MemoryDecisions, f));
  return {
    list: (cubeId) => on((s) => s.list(cubeId)),
    get: (decisionId) => on((s) => s.get(decisionId)),
    revert: (decisionId, ctx) => on((s) => s.revert(decisionId, ctx ?? defaults)),
    accept: (decisionId, ctx) => on((s) => s.accept(decisionId, ctx ?? defaults)),
    reject: (decisionId, ctx) => on((s) => s.reject(decisionId, ctx ?? defaults)),
    mode: (cubeId) => on((s) => s.getMode(cubeId)),
    setMode: (cubeId, mode, ctx) => on((s) => s.setMode(cubeId, mode, ctx ?? defaults)),
  };
}

export interface DecisionsCaller<Options> {
  readonly tenantId: string;
  /** Throws the entry point's error (401, 403, or the cube's 404) unless the caller may do `action` on the cube. */
  onCube(cubeId: string, action: "decision.read" | "decision.manage"): Promise<unknown>;
  ctxOf(options?: Options): CommandContext;
}

/**
 * A principal's namespace: reading decisions is reading the cube, changing
 * them is writing it. A decision of a cube the caller cannot read is a 404,
 * like a decision that does not exist.
 */
export function scopedDecisions<Options>(root: DecisionsApi<CommandContext>, caller: DecisionsCaller<Options>): DecisionsApi<Options> {
  const decisionOn = async (decisionId: string, action: "decision.read" | "decision.manage") => {
    const decision = await root.get(decisionId);
    await caller.onCube(decision.cubeId, action).catch((error: unknown) => {
      throw (error as { _tag?: string })._tag === "CubeNotFound" ? decisionNotFound(decisionId) : error;
    });
    return decision;
  };
  return {
    list: async (cubeId) => {
      await caller.onCube(cubeId, "decision.read");
      return root.list(cubeId);
    },
    get: (decisionId) => decisionOn(decisionId, "decision.read"),
    revert: async (decisionId, options) => {
      await decisionOn(decisionId, "decision.manage");
      return root.revert(decisionId, caller.ctxOf(options));
    },
    accept: async (decisionId, options) => {
      await decisionOn(decisionId, "decision.manage");
      return root.accept(decisionId, caller.ctxOf(options));
    },
    reject: async (decisionId, options) => {
      await decisionOn(decisionId, "decision.manage");
      return root.reject(decisionId, caller.ctxOf(options));
    },
    mode: async (cubeId) => {
      await caller.onCube(cubeId, "decision.read");
      return root.mode(cubeId);
    },
    setMode: async (cubeId, mode, options) => {
      await caller.onCube(cubeId, "decision.manage");
      return root.setMode(cubeId, mode, caller.ctxOf(options));
    },
  };
}


import { and, setup } from "xstate";
import { sameValue } from "./memoryContent.js";
import type { MemoryCommand } from "./memoryCommands.js";
import type { MemoryState } from "./memoryState.js";

/**
 * The lifecycle of a memory unit, and the only place its transition rules live.
 * Machine events are the commands themselves. No invoked I/O and no `after`
 * timers: durable delays are scheduled jobs that send ordinary commands.
 * `decide` runs one pure `transition()` per command on a snapshot resolved from
 * the folded state; nothing keeps a live actor.
 */
export interface LifecycleContext {
  readonly unit: MemoryState;
}

export const lifecycleMachineVersion = 2;

type RevertCommand = Extract<MemoryCommand, { type: "revert" }>;

function revertTargetIs(status: string) {
  return ({ context, event }: { context: LifecycleContext; event: MemoryCommand }) =>
    event.type === "revert" && revertsToPast(context, event) && event.target.status === status;
}

function revertsToPast(context: LifecycleContext, event: RevertCommand): boolean {
  return event.toRevision >= 0 && event.toRevision < context.unit.revision;
}

/** Why a guard can fail, in words a caller can act on; a function when the words need the command. */
export const guardExplanations: Readonly<Record<string, string | ((context: LifecycleContext, event: MemoryCommand) => string)>> = {
  successorIsAnotherUnit: "a unit cannot be merged into itself",
  successorInSameCube: (context, event) =>
    event.type === "merge" && context.unit.status !== "absent"
      ? `successor ${event.successorId} belongs to cube ${event.successor.cubeId}, not ${context.unit.cubeId}; a unit merges only into a unit of its own cube (copy the content with a create in the other cube instead)`
      : "a unit merges only into a unit of its own cube",
  successorIsActivated: (_context, event) =>
    event.type === "merge" ? `successor ${event.successorId} is ${event.successor.status}; merge into an activated unit` : "merge into an activated unit",
  editChangesSomething: "the edit changes nothing; send at least one field with a new value",
  revertTargetWasGenerated: "the target revision must be earlier than the current one",
  revertTargetWasActivated: "the target revision must be earlier than the current one",
  revertTargetWasArchived: "the target revision must be earlier than the current one",
  revertTargetWasMerged: "the target revision must be earlier than the current one",
};

/**
 * A revert lands in the state the unit was in at the target revision, except that a
 * unit past `generated` never goes back to it: processing is not undone, and a unit
 * sent back to generated would be invisible to search with no job left to activate it.
 */
const revertTransitions = (from: "generated" | "processed") =>
  [
    { guard: "revertTargetWasGenerated", target: from === "generated" ? "generated" : "activated" },
    { guard: "revertTargetWasActivated", target: "activated" },
    { guard: "revertTargetWasArchived", target: "archived" },
    { guard: "revertTargetWasMerged", target: "merged" },
  ] as const;

export const lifecycleMachine = setup({
  types: {
    context: {} as LifecycleContext,
    events: {} as MemoryCommand,
    input: {} as LifecycleContext,
  },
  guards: {
    successorIsAnotherUnit: ({ event }) => event.type === "merge" && event.successorId !== event.memoryId,
    // Same cube, hence same tenant: a merge pointer never crosses a cube's (or a tenant's) boundary.
    successorInSameCube: ({ context, event }) => event.type === "merge" && context.unit.status !== "absent" && event.successor.cubeId === context.unit.cubeId,
    successorIsActivated: ({ event }) => event.type === "merge" && event.successor.status === "activated",
    editChangesSomething: ({ context, event }) => {
      if (event.type !== "edit" || context.unit.status === "absent") return false;
      const unit = context.unit;
      const contentChanged = Object.entries(event.content ?? {}).some(
        ([field, value]) => value !== undefined && !sameValue(value === null ? undefined : value, unit.content?.[field as keyof typeof unit.content]),
      );
      const attributesChanged = Object.entries(event.attributes ?? {}).some(
        ([field, value]) => value !== undefined && !sameValue(value === null ? undefined : value, unit.attributes[field as keyof typeof unit.attributes]),
      );
      return contentChanged || attributesChanged;
    },
    revertTargetWasGenerated: revertTargetIs("generated"),
    revertTargetWasActivated: revertTargetIs("activated"),
    revertTargetWasArchived: revertTargetIs("archived"),
    revertTargetWasMerged: revertTargetIs("merged"),
  },
}).createMachine({
  id: "memoryUnit",
  context: ({ input }) => input,
  initial: "absent",
  states: {
    absent: {
      on: { create: { target: "generated" } },
    },
    generated: {
      on: {
        activate: { target: "activated" },
        // Units created after a cube rollback point are archived, even if never activated.
        archive: { target: "archived" },
        erase: { target: "erased" },
        revert: revertTransitions("generated"),
        // Processing failed: stay generated, keep the source, record why.
        recordProcessingFailure: { target: "generated" },
      },
    },
    activated: {
      on: {
        edit: { guard: "editChangesSomething", target: "activated" },
        merge: { guard: and(["successorIsAnotherUnit", "successorInSameCube", "successorIsActivated"]), target: "merged" },
        archive: { target: "archived" },
        freeze: { target: "frozen" },
        erase: { target: "erased" },
        revert: revertTransitions("processed"),
      },
    },
    merged: {
      // Read-only; a revert to before the merge is how a merge is undone.
      on: {
        erase: { target: "erased" },
        revert: revertTransitions("processed"),
      },
    },
    archived: {
      on: {
        restore: { target: "activated" },
        freeze: { target: "frozen" },
        erase: { target: "erased" },
        revert: revertTransitions("processed"),
      },
    },
    frozen: {
      // Legal hold / retention: immutable; only erasure may touch it.
      on: { erase: { target: "erased" } },
    },
    erased: { type: "final" },
  },
});

export type LifecycleMachine = typeof lifecycleMachine;

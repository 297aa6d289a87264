import { setup } from "xstate";
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

export const lifecycleMachineVersion = 1;

type RevertCommand = Extract<MemoryCommand, { type: "revert" }>;

function revertTargetIs(status: string) {
  return ({ context, event }: { context: LifecycleContext; event: MemoryCommand }) =>
    event.type === "revert" && revertsToPast(context, event) && event.target.status === status;
}

function revertsToPast(context: LifecycleContext, event: RevertCommand): boolean {
  return event.toRevision >= 0 && event.toRevision < context.unit.revision;
}

/** Why a guard can fail, in words a caller can act on. */
export const guardExplanations: Readonly<Record<string, string>> = {
  successorIsAnotherUnit: "a unit cannot be merged into itself",
  editChangesSomething: "the edit changes nothing; send at least one field with a new value",
  revertTargetWasGenerated: "the target revision must be earlier than the current one",
  revertTargetWasActivated: "the target revision must be earlier than the current one",
  revertTargetWasArchived: "the target revision must be earlier than the current one",
  revertTargetWasMerged: "the target revision must be earlier than the current one",
};

/** A revert lands in whatever state the unit was in at the target revision. */
const revertTransitions = [
  { guard: "revertTargetWasGenerated", target: "generated" },
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
        revert: revertTransitions,
        // Processing failed: stay generated, keep the source, record why.
        recordProcessingFailure: { target: "generated" },
      },
    },
    activated: {
      on: {
        edit: { guard: "editChangesSomething", target: "activated" },
        merge: { guard: "successorIsAnotherUnit", target: "merged" },
        archive: { target: "archived" },
        freeze: { target: "frozen" },
        erase: { target: "erased" },
        revert: revertTransitions,
      },
    },
    merged: {
      // Read-only; a revert to before the merge is how a merge is undone.
      on: {
        erase: { target: "erased" },
        revert: revertTransitions,
      },
    },
    archived: {
      on: {
        restore: { target: "activated" },
        freeze: { target: "frozen" },
        erase: { target: "erased" },
        revert: revertTransitions,
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

import { transition } from "xstate";
import { applyAttributeChanges, applyContentChanges, sameValue, type MemoryAttributes, type MemoryContent } from "./memoryContent.js";
import type { MemoryCommand } from "./memoryCommands.js";
import type { MemoryEvent, MemoryStatus } from "./memoryEvents.js";
import type { ExistingMemory, MemoryState } from "./memoryState.js";
import { evolve } from "./evolve.js";
import { guardExplanations, lifecycleMachine } from "./lifecycleMachine.js";
import { InvalidCommand, TransitionRejected, type DomainError } from "./domainErrors.js";
import { checkAttributeChanges, checkContentChanges, checkNewContent, toInvalidCommand } from "./validation.js";

export type Decision =
  | { readonly kind: "accepted"; readonly events: readonly MemoryEvent[]; readonly nextStatus: MemoryStatus }
  | { readonly kind: "rejected"; readonly error: DomainError };

const rejected = (error: DomainError): Decision => ({ kind: "rejected", error });

/**
 * Command + state -> events, or a typed rejection. The lifecycle machine gives
 * the verdict (one pure `transition()` per machine event); this function only
 * validates fields and writes the events that record the machine's decision.
 */
export function decide(state: MemoryState, command: MemoryCommand): Decision {
  const invalid = validate(state, command);
  if (invalid) return rejected(invalid);

  const verdict = runMachine(state, command);
  if (verdict.kind === "rejected") return verdict;

  if (command.type === "create") {
    const created: MemoryEvent = {
      type: "MemoryCreated",
      data: {
        memoryId: command.memoryId,
        cubeId: command.cubeId,
        content: normalizeContent(command.content),
        attributes: command.attributes,
        ...(command.branchedFrom ? { branchedFrom: command.branchedFrom } : {}),
        ...(command.copiedFrom ? { copiedFrom: command.copiedFrom } : {}),
      },
    };
    if (!command.activate) return { kind: "accepted", events: [created], nextStatus: verdict.status };
    // Synchronous ingestion: the unit is created and activated in one append;
    // the machine judges the second step from the state the first one produced.
    const activation = runMachine(evolve(state, created), { type: "activate", memoryId: command.memoryId });
    if (activation.kind === "rejected") return activation;
    return { kind: "accepted", events: [created, { type: "MemoryActivated", data: { memoryId: command.memoryId } }], nextStatus: activation.status };
  }

  const unit = state as ExistingMemory;
  const events = eventsFor(unit, command, verdict.status);
  return { kind: "accepted", events, nextStatus: verdict.status };
}

function eventsFor(unit: ExistingMemory, command: Exclude<MemoryCommand, { type: "create" }>, nextStatus: MemoryStatus): MemoryEvent[] {
  const memoryId = unit.memoryId;
  switch (command.type) {
    case "activate":
      return [{ type: "MemoryActivated", data: { memoryId } }];
    case "edit": {
      const content = applyContentChanges(unit.content ?? emptyContent, command.content ?? {});
      const attributes = applyAttributeChanges(unit.attributes, command.attributes ?? {});
      return [
        {
          type: "MemoryEdited",
          data: { memoryId, version: unit.version + 1, content, attributes, changedFields: changedFields(unit, content, attributes) },
        },
      ];
    }
    case "merge":
      return [{ type: "MemoryMerged", data: { memoryId, successorId: command.successorId } }];
    case "archive":
      return [{ type: "MemoryArchived", data: { memoryId, ...(command.movedTo ? { movedTo: command.movedTo } : {}) } }];
    case "restore":
      return [{ type: "MemoryRestored", data: { memoryId } }];
    case "freeze":
      return [{ type: "MemoryFrozen", data: { memoryId, reason: command.reason, ...(command.note !== undefined ? { note: command.note } : {}) } }];
    case "erase":
      return [{ type: "MemoryErased", data: { memoryId, scope: command.scope, keyId: command.keyId } }];
    case "recordProcessingFailure":
      return [
        { type: "MemoryProcessingFailed", data: { memoryId, jobId: command.jobId, attempt: command.attempt, error: command.error, willRetry: command.willRetry } },
      ];
    case "revert": {
      const target = command.target;
      return [
        {
          type: "MemoryReverted",
          data: {
            memoryId,
            toRevision: command.toRevision,
            version: unit.version + 1,
            // The machine's verdict, not the target's status: a processed unit never returns to generated.
            status: nextStatus as Exclude<MemoryStatus, "frozen" | "erased">,
            ...(target.successorId ? { successorId: target.successorId } : {}),
            content: target.content,
            attributes: target.attributes,
          },
        },
      ];
    }
  }
}

const emptyContent: MemoryContent = { text: "", tags: [], sources: [], metadata: {} };

function normalizeContent(content: MemoryContent): MemoryContent {
  // Defaults make every stored content complete, so folds and diffs never guess.
  return { ...content, tags: [...(content.tags ?? [])], sources: [...(content.sources ?? [])], metadata: { ...(content.metadata ?? {}) } };
}

function changedFields(unit: ExistingMemory, content: MemoryContent, attributes: MemoryAttributes): string[] {
  const fields: string[] = [];
  const before = unit.content ?? emptyContent;
  for (const key of new Set([...Object.keys(before), ...Object.keys(content)])) {
    if (!sameValue(before[key as keyof MemoryContent], content[key as keyof MemoryContent])) fields.push(`content.${key}`);
  }
  for (const key of new Set([...Object.keys(unit.attributes), ...Object.keys(attributes)])) {
    if (!sameValue(unit.attributes[key as keyof MemoryAttributes], attributes[key as keyof MemoryAttributes])) fields.push(`attributes.${key}`);
  }
  return fields;
}

function validate(state: MemoryState, command: MemoryCommand): InvalidCommand | undefined {
  if (typeof command.memoryId !== "string" || command.memoryId === "") return new InvalidCommand(command.type, "memoryId", "must be a non-empty string");
  const id = command.memoryId;
  switch (command.type) {
    case "create":
      if (typeof command.cubeId !== "string" || command.cubeId === "") return new InvalidCommand("create", "cubeId", "must be a non-empty string", id);
      return toInvalidCommand("create", checkNewContent(command.content, command.attributes), id);
    case "edit":
      if (command.content === undefined && command.attributes === undefined) return new InvalidCommand("edit", "content", "or attributes must be given", id);
      return toInvalidCommand("edit", checkContentChanges(command.content ?? {}) ?? checkAttributeChanges(command.attributes ?? {}), id);
    case "merge":
      if (typeof command.successorId !== "string" || command.successorId === "") return new InvalidCommand("merge", "successorId", "must be a non-empty string", id);
      if (command.successor?.memoryId !== command.successorId) return new InvalidCommand("merge", "successor", `must describe unit ${command.successorId} as it stands now`, id);
      return undefined;
    case "freeze":
      if (!["legal_hold", "retention", "other"].includes(command.reason)) return new InvalidCommand("freeze", "reason", "must be legal_hold, retention or other", id);
      return undefined;
    case "recordProcessingFailure":
      if (typeof command.jobId !== "string" || command.jobId === "") return new InvalidCommand("recordProcessingFailure", "jobId", "must be a non-empty string", id);
      if (!Number.isInteger(command.attempt) || command.attempt < 1) return new InvalidCommand("recordProcessingFailure", "attempt", "must be an attempt number >= 1", id);
      return undefined;
    case "revert":
      if (!Number.isInteger(command.toRevision) || command.toRevision < 0) return new InvalidCommand("revert", "toRevision", "must be a revision number >= 0", id);
      if (state.status !== "absent" && command.toRevision >= state.revision) {
        return new InvalidCommand("revert", "toRevision", `must be earlier than the current revision ${state.revision}`, id);
      }
      return undefined;
    default:
      return undefined;
  }
}

type Verdict =
  | { readonly kind: "accepted"; readonly status: MemoryStatus }
  | { readonly kind: "rejected"; readonly error: DomainError };

function runMachine(state: MemoryState, command: MemoryCommand): Verdict {
  const snapshot = lifecycleMachine.resolveState({ value: state.status, context: { unit: state } });
  const enabled = lifecycleMachine.getTransitionData(snapshot, command);
  if (enabled.length === 0) {
    return { kind: "rejected", error: new TransitionRejected(command.memoryId, state.status, command.type, explain(state, command)) };
  }
  const [next] = transition(lifecycleMachine, snapshot, command);
  const status = next.value as MemoryStatus;
  return { kind: "accepted", status };
}

function explain(state: MemoryState, command: MemoryCommand): string {
  const stateNode = lifecycleMachine.states[state.status];
  const candidates = stateNode?.transitions.get(command.type) ?? [];
  const failedGuard = candidates.flatMap((t) => guardNames(t.guard)).find((name) => !guardHolds(name, state, command));
  if (candidates.length > 0 && failedGuard) {
    const explanation = guardExplanations[failedGuard];
    if (typeof explanation === "function") return explanation({ unit: state }, command);
    return explanation ?? `guard ${failedGuard} failed`;
  }
  if (state.status === "absent") return "the memory does not exist yet";
  if (state.status === "erased") return "an erased unit is terminal";
  if (state.status === "frozen") return "a frozen unit is immutable; only erasure may touch it";
  if (state.status === "merged") return `a merged unit is read-only (successor ${state.successorId ?? "unknown"}); revert it to undo the merge`;
  const allowed = [...(stateNode?.transitions.keys() ?? [])].join(", ");
  return `from ${state.status} only ${allowed} are allowed`;
}

/** The named guards of a transition: one name, or the names combined by `and([...])`. */
function guardNames(guard: unknown): string[] {
  if (typeof guard === "string") return [guard];
  const combined: unknown = typeof guard === "function" ? (guard as unknown as { guards?: unknown }).guards : undefined;
  if (Array.isArray(combined)) return combined.flatMap(guardNames);
  if (typeof guard === "object" && guard !== null && "type" in guard) return [String((guard as { type: unknown }).type)];
  return [];
}

function guardHolds(name: string, state: MemoryState, command: MemoryCommand): boolean {
  const guard = (lifecycleMachine.implementations.guards as Record<string, (args: { context: { unit: MemoryState }; event: MemoryCommand }) => boolean>)[name];
  return guard ? guard({ context: { unit: state }, event: command }) : false;
}

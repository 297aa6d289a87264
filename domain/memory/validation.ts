import { builtInMemoryTypes, visibilities, type AttributeChanges, type ContentChanges, type MemoryAttributes, type MemoryContent, type MemorySource } from "./memoryContent.js";
import { InvalidCommand } from "./domainErrors.js";

/**
 * Field rules for commands. Returns the first problem found so the caller can
 * tell the user exactly which field to fix; `undefined` when all is well.
 */
export const limits = {
  textMaxLength: 100_000,
  keyMaxLength: 500,
  tagMaxLength: 100,
  maxTags: 100,
  maxSources: 200,
  maxMetadataEntries: 200,
} as const;

const sourceKinds = new Set(["message", "document", "url", "tool", "other"]);
const isoTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

type Problem = { field: string; problem: string };

export function checkContentChanges(changes: ContentChanges, prefix = "content"): Problem | undefined {
  if (changes.text !== undefined) {
    if (typeof changes.text !== "string" || changes.text.trim() === "") return { field: `${prefix}.text`, problem: "must be a non-empty string" };
    if (changes.text.length > limits.textMaxLength) return { field: `${prefix}.text`, problem: `must be at most ${limits.textMaxLength} characters` };
  }
  if (changes.key !== undefined && changes.key !== null) {
    if (typeof changes.key !== "string" || changes.key.length > limits.keyMaxLength) return { field: `${prefix}.key`, problem: `must be a string of at most ${limits.keyMaxLength} characters` };
  }
  if (changes.tags !== undefined) {
    if (!Array.isArray(changes.tags) || changes.tags.length > limits.maxTags) return { field: `${prefix}.tags`, problem: `must be a list of at most ${limits.maxTags} tags` };
    const bad = changes.tags.findIndex((t) => typeof t !== "string" || t.trim() === "" || t.length > limits.tagMaxLength);
    if (bad >= 0) return { field: `${prefix}.tags[${bad}]`, problem: `must be a non-empty string of at most ${limits.tagMaxLength} characters` };
  }
  if (changes.sources !== undefined) {
    if (!Array.isArray(changes.sources) || changes.sources.length > limits.maxSources) return { field: `${prefix}.sources`, problem: `must be a list of at most ${limits.maxSources} sources` };
    for (const [i, source] of changes.sources.entries()) {
      const problem = checkSource(source);
      if (problem) return { field: `${prefix}.sources[${i}]${problem.field}`, problem: problem.problem };
    }
  }
  for (const id of ["userId", "agentId", "sessionId"] as const) {
    const value = changes[id];
    if (value !== undefined && value !== null && (typeof value !== "string" || value === "")) return { field: `${prefix}.${id}`, problem: "must be a non-empty string" };
  }
  if (changes.metadata !== undefined) {
    if (typeof changes.metadata !== "object" || changes.metadata === null || Array.isArray(changes.metadata)) return { field: `${prefix}.metadata`, problem: "must be an object" };
    const entries = Object.entries(changes.metadata);
    if (entries.length > limits.maxMetadataEntries) return { field: `${prefix}.metadata`, problem: `must have at most ${limits.maxMetadataEntries} entries` };
    for (const [name, value] of entries) {
      // Flat values only, so metadata stays usable in filters.
      if (value !== null && !["string", "number", "boolean"].includes(typeof value)) return { field: `${prefix}.metadata.${name}`, problem: "must be a string, number, boolean or null" };
    }
  }
  return undefined;
}

function checkSource(source: MemorySource): Problem | undefined {
  if (typeof source !== "object" || source === null) return { field: "", problem: "must be an object with kind and ref" };
  if (!sourceKinds.has(source.kind)) return { field: ".kind", problem: `must be one of ${[...sourceKinds].join(", ")}` };
  if (typeof source.ref !== "string" || source.ref === "") return { field: ".ref", problem: "must be a non-empty string" };
  if (source.at !== undefined && !isValidTime(source.at)) return { field: ".at", problem: "must be an ISO-8601 time" };
  return undefined;
}

export function checkAttributeChanges(changes: AttributeChanges, prefix = "attributes"): Problem | undefined {
  if (changes.memoryType !== undefined && !isMemoryType(changes.memoryType)) {
    return { field: `${prefix}.memoryType`, problem: `must be one of ${builtInMemoryTypes.join(", ")} or custom:<name>` };
  }
  if (changes.confidence !== undefined && (typeof changes.confidence !== "number" || !(changes.confidence >= 0 && changes.confidence <= 1))) {
    return { field: `${prefix}.confidence`, problem: "must be a number between 0 and 1" };
  }
  if (changes.visibility !== undefined && !(visibilities as readonly string[]).includes(changes.visibility)) {
    return { field: `${prefix}.visibility`, problem: `must be one of ${visibilities.join(", ")}` };
  }
  if (changes.eventTime !== undefined && changes.eventTime !== null && !isValidTime(changes.eventTime)) {
    return { field: `${prefix}.eventTime`, problem: "must be an ISO-8601 time" };
  }
  return undefined;
}

export function checkNewContent(content: MemoryContent, attributes: MemoryAttributes): Problem | undefined {
  if (content === null || typeof content !== "object") return { field: "content", problem: "is required" };
  if (content.text === undefined) return { field: "content.text", problem: "is required" };
  return checkContentChanges(content) ?? checkAttributeChanges(attributes);
}

export function isMemoryType(value: unknown): boolean {
  return typeof value === "string" && ((builtInMemoryTypes as readonly string[]).includes(value) || /^custom:[a-z0-9_.-]{1,64}$/i.test(value));
}

export function isValidTime(value: unknown): boolean {
  return typeof value === "string" && isoTime.test(value) && !Number.isNaN(Date.parse(value));
}

export function toInvalidCommand(command: string, problem: Problem | undefined, memoryId?: string): InvalidCommand | undefined {
  return problem ? new InvalidCommand(command, problem.field, problem.problem, memoryId) : undefined;
}

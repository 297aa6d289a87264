/**
 * What a memory unit remembers. Split in two on purpose:
 * - `MemoryContent` is personal data: it is encrypted in the log with the unit's
 *   data key and disappears for good when that key is destroyed (crypto-shredding).
 * - `MemoryAttributes` is non-personal classification kept in clear so that
 *   filters and audits keep working after erasure.
 */

/** MemOS memory types plus room for project-specific ones (`custom:<name>`). */
export const builtInMemoryTypes = [
  "working",
  "long_term",
  "user",
  "preference",
  "tool",
  "skill",
  "raw_source",
] as const;
export type BuiltInMemoryType = (typeof builtInMemoryTypes)[number];
export type MemoryType = BuiltInMemoryType | `custom:${string}`;

/**
 * Who may see a unit, within its cube's readers: `private` (author, subject, cube admins), `session` (those and a
 * request stating the unit's session), `cube`, `tenant`, `public` (every reader of the cube; docs/governance.md).
 */
export const visibilities = ["private", "session", "cube", "tenant", "public"] as const;
export type Visibility = (typeof visibilities)[number];

/** Provenance of a memory: where the remembered thing came from. */
export interface MemorySource {
  readonly kind: "message" | "document" | "url" | "tool" | "other";
  /** message id, document id, URL, tool call id… */
  readonly ref: string;
  /** ISO-8601 time the source was produced, if known. */
  readonly at?: string;
  readonly note?: string;
}

export type MetadataValue = string | number | boolean | null;

/** Personal data of a unit; encrypted at rest. */
export interface MemoryContent {
  readonly text: string;
  /** Short title (MemOS `key`). */
  readonly key?: string;
  readonly tags: readonly string[];
  readonly sources: readonly MemorySource[];
  readonly userId?: string;
  readonly agentId?: string;
  readonly sessionId?: string;
  /** Free metadata, flat so it can be used in filters. */
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}

/** Non-personal classification; stored in clear. */
export interface MemoryAttributes {
  readonly memoryType: MemoryType;
  readonly confidence: number;
  readonly visibility: Visibility;
  /** ISO-8601 time the remembered thing happened (vs. the recorded time). */
  readonly eventTime?: string;
}

/** A partial edit: only the given fields change. */
export interface ContentChanges {
  readonly text?: string;
  readonly key?: string | null;
  readonly tags?: readonly string[];
  readonly sources?: readonly MemorySource[];
  readonly userId?: string | null;
  readonly agentId?: string | null;
  readonly sessionId?: string | null;
  readonly metadata?: Readonly<Record<string, MetadataValue>>;
}

export interface AttributeChanges {
  readonly memoryType?: MemoryType;
  readonly confidence?: number;
  readonly visibility?: Visibility;
  readonly eventTime?: string | null;
}

export const defaultAttributes: MemoryAttributes = {
  memoryType: "long_term",
  confidence: 1,
  visibility: "cube",
};

function withOptional<T extends object, K extends string, V>(base: T, key: K, value: V | null | undefined): T {
  // `null` in a change means "remove the field"; `undefined` means "leave it".
  if (value === undefined) return base;
  const copy = { ...base } as Record<string, unknown>;
  if (value === null) delete copy[key];
  else copy[key] = value;
  return copy as T;
}

export function applyContentChanges(content: MemoryContent, changes: ContentChanges): MemoryContent {
  let next: MemoryContent = {
    ...content,
    ...(changes.text !== undefined ? { text: changes.text } : {}),
    ...(changes.tags !== undefined ? { tags: [...changes.tags] } : {}),
    ...(changes.sources !== undefined ? { sources: [...changes.sources] } : {}),
    ...(changes.metadata !== undefined ? { metadata: { ...changes.metadata } } : {}),
  };
  next = withOptional(next, "key", changes.key);
  next = withOptional(next, "userId", changes.userId);
  next = withOptional(next, "agentId", changes.agentId);
  next = withOptional(next, "sessionId", changes.sessionId);
  return next;
}

export function applyAttributeChanges(attributes: MemoryAttributes, changes: AttributeChanges): MemoryAttributes {
  let next: MemoryAttributes = {
    ...attributes,
    ...(changes.memoryType !== undefined ? { memoryType: changes.memoryType } : {}),
    ...(changes.confidence !== undefined ? { confidence: changes.confidence } : {}),
    ...(changes.visibility !== undefined ? { visibility: changes.visibility } : {}),
  };
  next = withOptional(next, "eventTime", changes.eventTime);
  return next;
}

/** Structural equality for the plain JSON values a unit holds. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  const ak = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

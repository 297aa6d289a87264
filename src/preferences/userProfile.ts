import type { MemoryView } from "../../projections/memoryView.js";

export const preferenceKindField = "preferenceKind";
export const preferenceKeyField = "preferenceKey";

/** One line of a profile: a preference or persona attribute, how sure, and what it rests on. */
export interface ProfileEntry {
  readonly memoryId: string;
  readonly text: string;
  readonly kind: "explicit" | "implicit" | "persona";
  /** Implicit preferences only: the stable key a repeat inference updates. */
  readonly key?: string;
  readonly confidence: number;
  /** The units (implicit) or message turns (explicit, persona) it came from. */
  readonly evidenceIds: readonly string[];
  readonly updatedAt: string;
}

export interface UserProfile {
  readonly cubeId: string;
  readonly userId: string;
  readonly preferences: { readonly explicit: readonly ProfileEntry[]; readonly implicit: readonly ProfileEntry[] };
  readonly persona: readonly ProfileEntry[];
}

export const isImplicitPreference = (view: MemoryView) => view.attributes.memoryType === "preference" && view.content?.metadata[preferenceKindField] === "implicit";

/** The user's current preferences and persona attributes among a cube's units (archived, merged and erased ones are not current). */
export function profileOf(cubeId: string, userId: string, units: readonly MemoryView[]): UserProfile {
  const entries = units
    .filter((v) => v.status === "activated" && v.content !== null && v.content.userId === userId && (v.attributes.memoryType === "preference" || v.attributes.memoryType === "user"))
    .sort((a, b) => b.attributes.confidence - a.attributes.confidence || a.createdAt.localeCompare(b.createdAt))
    .map((v): ProfileEntry => {
      const key = v.content?.metadata[preferenceKeyField];
      return {
        memoryId: v.memoryId,
        text: v.content?.text ?? "",
        kind: v.attributes.memoryType === "user" ? "persona" : isImplicitPreference(v) ? "implicit" : "explicit",
        ...(typeof key === "string" ? { key } : {}),
        confidence: v.attributes.confidence,
        evidenceIds: (v.content?.sources ?? []).map((s) => s.ref),
        updatedAt: v.updatedAt,
      };
    });
  return {
    cubeId,
    userId,
    preferences: { explicit: entries.filter((e) => e.kind === "explicit"), implicit: entries.filter((e) => e.kind === "implicit") },
    persona: entries.filter((e) => e.kind === "persona"),
  };
}

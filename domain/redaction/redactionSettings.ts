/**
 * A cube's redaction setting: which kinds of personal data are masked in memory
 * text at ingest, and whether the clear original is dropped or kept sealed.
 */
export const redactionKinds = ["email", "phone", "card", "iban", "ip", "name"] as const;
export type RedactionKind = (typeof redactionKinds)[number];

export const keepOriginalModes = ["drop", "sealed"] as const;
export type KeepOriginal = (typeof keepOriginalModes)[number];

export interface RedactionSettings {
  readonly enabled: boolean;
  /** drop: the clear original never enters the log. sealed: it is kept encrypted with the unit's data key, for the roles allowed to read it. */
  readonly keepOriginal: KeepOriginal;
  readonly kinds: readonly RedactionKind[];
  /** Also mask string values of the unit's metadata (text and title are always masked). */
  readonly metadata: boolean;
}

/** A cube that never configured redaction stores text as given. */
export const redactionOff: RedactionSettings = { enabled: false, keepOriginal: "drop", kinds: [...redactionKinds], metadata: false };

/** The typed placeholder a masked span becomes. */
export const placeholderOf: Readonly<Record<RedactionKind, string>> = {
  email: "[EMAIL]",
  phone: "[PHONE]",
  card: "[CARD]",
  iban: "[IBAN]",
  ip: "[IP]",
  name: "[NAME]",
};

/** How many spans of each kind were masked; never the values. */
export type RedactionCounts = Partial<Record<RedactionKind, number>>;

export function addCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  const sum: Partial<Record<RedactionKind, number>> = { ...a };
  for (const kind of redactionKinds) if (b[kind]) sum[kind] = (sum[kind] ?? 0) + b[kind]!;
  return sum;
}

/** Either the settings as given (defaults filled in) or which field is wrong and why. */
export function parseRedactionSettings(input: unknown): { ok: true; settings: RedactionSettings } | { ok: false; field: string; why: string } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return { ok: false, field: "redaction", why: "must be an object { enabled, keepOriginal, kinds, metadata }" };
  const raw = input as Record<string, unknown>;
  if (typeof raw.enabled !== "boolean") return { ok: false, field: "enabled", why: "must be true or false" };
  const keepOriginal = raw.keepOriginal ?? "drop";
  if (!keepOriginalModes.includes(keepOriginal as KeepOriginal)) return { ok: false, field: "keepOriginal", why: `must be one of ${keepOriginalModes.join(", ")}` };
  const kinds = raw.kinds ?? [...redactionKinds];
  if (!Array.isArray(kinds) || kinds.some((k) => !redactionKinds.includes(k as RedactionKind))) {
    return { ok: false, field: "kinds", why: `must list kinds among ${redactionKinds.join(", ")}` };
  }
  const metadata = raw.metadata ?? false;
  if (typeof metadata !== "boolean") return { ok: false, field: "metadata", why: "must be true or false" };
  const unique = redactionKinds.filter((k) => kinds.includes(k));
  return { ok: true, settings: { enabled: raw.enabled, keepOriginal: keepOriginal as KeepOriginal, kinds: unique, metadata } };
}

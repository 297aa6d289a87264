import { addCounts, type RedactionCounts, type RedactionSettings } from "../../domain/redaction/redactionSettings.js";
import type { OriginalContent } from "../../domain/redaction/redactionEvents.js";
import type { MetadataValue } from "../../domain/memory/memoryContent.js";
import { redactText } from "./redactText.js";

/** The personal fields of a write that redaction looks at: text, title and (when configured) metadata strings. */
export interface RedactableFields {
  readonly text?: string;
  readonly key?: string | null;
  readonly metadata?: Readonly<Record<string, MetadataValue>>;
}

export interface RedactedFields<T extends RedactableFields> {
  readonly fields: T;
  readonly counts: RedactionCounts;
  /** Which fields had something masked: "text", "key", "metadata.<name>". */
  readonly touched: readonly string[];
  /** The clear values of the touched fields, for keepOriginal "sealed". */
  readonly original: OriginalContent;
}

/** The fields with the configured kinds masked; unchanged (and nothing touched) when redaction is off. */
export function redactFields<T extends RedactableFields>(fields: T, settings: RedactionSettings): RedactedFields<T> {
  if (!settings.enabled || settings.kinds.length === 0) return { fields, counts: {}, touched: [], original: {} };
  let counts: RedactionCounts = {};
  const touched: string[] = [];
  const original: { text?: string; key?: string; metadata?: Record<string, string> } = {};
  const next: Record<string, unknown> = { ...(fields as Record<string, unknown>) };
  const mask = (value: string) => {
    const masked = redactText(value, settings.kinds);
    counts = addCounts(counts, masked.counts);
    return masked.text;
  };
  if (typeof fields.text === "string") {
    const text = mask(fields.text);
    if (text !== fields.text) (next.text = text), touched.push("text"), (original.text = fields.text);
  }
  if (typeof fields.key === "string") {
    const key = mask(fields.key);
    if (key !== fields.key) (next.key = key), touched.push("key"), (original.key = fields.key);
  }
  if (settings.metadata && fields.metadata) {
    const metadata: Record<string, MetadataValue> = { ...fields.metadata };
    for (const [name, value] of Object.entries(fields.metadata)) {
      if (typeof value !== "string") continue;
      const masked = mask(value);
      if (masked === value) continue;
      metadata[name] = masked;
      touched.push(`metadata.${name}`);
      (original.metadata ??= {})[name] = value;
    }
    next.metadata = metadata;
  }
  return { fields: next as T, counts, touched, original };
}

import { placeholderOf, type RedactionCounts, type RedactionKind } from "./redactionSettings.js";

/** A piece of text a detector found: [start, end) in UTF-16 code units. */
export interface DetectedSpan {
  readonly kind: RedactionKind;
  readonly start: number;
  readonly end: number;
}

/**
 * When detectors disagree on a stretch of text, the more specific, checksum-backed
 * kind wins (an IBAN contains digits a phone detector also likes).
 */
const priority: readonly RedactionKind[] = ["email", "iban", "card", "ip", "phone", "name"];

/** Non-overlapping spans in text order: by priority, then the longer span, then the earlier one. */
export function resolveOverlaps(spans: readonly DetectedSpan[]): DetectedSpan[] {
  const ranked = [...spans].sort(
    (a, b) => priority.indexOf(a.kind) - priority.indexOf(b.kind) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: DetectedSpan[] = [];
  for (const span of ranked) {
    if (span.end <= span.start) continue;
    if (kept.some((k) => span.start < k.end && k.start < span.end)) continue;
    kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** The text with each span replaced by its typed placeholder, and how many of each kind were replaced. */
export function maskSpans(text: string, spans: readonly DetectedSpan[]): { text: string; counts: RedactionCounts } {
  const counts: Partial<Record<RedactionKind, number>> = {};
  let out = "";
  let at = 0;
  for (const span of resolveOverlaps(spans)) {
    out += text.slice(at, span.start) + placeholderOf[span.kind];
    at = span.end;
    counts[span.kind] = (counts[span.kind] ?? 0) + 1;
  }
  return { text: out + text.slice(at), counts };
}

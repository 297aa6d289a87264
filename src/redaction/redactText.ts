import { maskSpans, resolveOverlaps, type DetectedSpan } from "../../domain/redaction/maskSpans.js";
import type { RedactionCounts, RedactionKind } from "../../domain/redaction/redactionSettings.js";
import { detectors } from "./personalDataDetectors.js";

/** Every span of the given kinds in the text, overlaps resolved. */
export function detectPersonalData(text: string, kinds: readonly RedactionKind[]): DetectedSpan[] {
  return resolveOverlaps(kinds.flatMap((kind) => detectors[kind](text)));
}

/** The text with personal data of the given kinds replaced by typed placeholders ([EMAIL], [PHONE]…). */
export function redactText(text: string, kinds: readonly RedactionKind[]): { text: string; counts: RedactionCounts } {
  return maskSpans(text, detectPersonalData(text, kinds));
}

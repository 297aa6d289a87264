import nlp from "compromise";
import { electronicFormatIBAN, isValidIBAN } from "ibantools";
import { findPhoneNumbersInText, type CountryCode } from "libphonenumber-js";
import validator from "validator";
import type { DetectedSpan } from "../../domain/redaction/maskSpans.js";
import type { RedactionKind } from "../../domain/redaction/redactionSettings.js";

/**
 * One detector per kind. Each finds candidates with a loose pattern and keeps
 * only those a maintained library validates (Luhn for cards, mod-97 for IBANs,
 * numbering plans for phones), so look-alike numbers are left alone.
 */
export type Detector = (text: string) => DetectedSpan[];

const matches = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => ({ value: m[0], start: m.index }));

const emailCandidate = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

export const detectEmails: Detector = (text) =>
  matches(text, emailCandidate)
    .filter((m) => validator.isEmail(m.value))
    .map((m) => ({ kind: "email", start: m.start, end: m.start + m.value.length }));

// 13-19 digits, optionally grouped by single spaces or hyphens; not part of a longer digit run.
const cardCandidate = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;

export const detectCards: Detector = (text) =>
  matches(text, cardCandidate)
    .filter((m) => validator.isCreditCard(m.value.replace(/[ -]/g, "")))
    .map((m) => ({ kind: "card", start: m.start, end: m.start + m.value.length }));

// Country code, check digits, then 11-30 letters/digits, possibly in space-separated groups.
const ibanCandidate = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/gi;

/** The longest prefix of a candidate (whole space-separated groups) that is a valid IBAN: a trailing word in capitals must not spoil a match. */
function validIbanLength(candidate: string): number {
  const groups = candidate.split(" ");
  for (let n = groups.length; n >= 1; n -= 1) {
    const prefix = groups.slice(0, n).join(" ");
    const electronic = electronicFormatIBAN(prefix.toUpperCase());
    if (electronic && isValidIBAN(electronic)) return prefix.length;
  }
  return 0;
}

export const detectIbans: Detector = (text) =>
  matches(text, ibanCandidate).flatMap((m) => {
    const length = validIbanLength(m.value);
    return length > 0 ? [{ kind: "iban" as const, start: m.start, end: m.start + length }] : [];
  });

// Not inside a longer dotted run (1.2.3.4.5), but a sentence may end right after; a CIDR range (10.0.0.0/8) is a network, not a host.
const ipv4Candidate = /(?<!\d\.?)(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d|\/\d)/g;
// Hex groups with at least two colons (so "10:30" is not one); validation rejects times like 12:30:45.
const ipv6Candidate = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g;

export const detectIps: Detector = (text) => [
  ...matches(text, ipv4Candidate).filter((m) => validator.isIP(m.value, 4)),
  ...matches(text, ipv6Candidate).filter((m) => /[0-9A-Fa-f]/.test(m.value) && validator.isIP(m.value, 6)),
].map((m) => ({ kind: "ip", start: m.start, end: m.start + m.value.length }));

/** Numbers without a country prefix are read in this region's plan. */
export const defaultPhoneRegion: CountryCode = "US";

export const detectPhones: Detector = (text) =>
  findPhoneNumbersInText(text, { defaultCountry: defaultPhoneRegion })
    // Bare 7-digit local numbers are too often order numbers or amounts.
    .filter((found) => found.number.nationalNumber.length >= 8)
    .map((found) => ({ kind: "phone", start: found.startsAt, end: found.endsAt }));

interface OffsetMatch {
  readonly offset: { readonly start: number; readonly length: number };
  readonly terms: readonly { readonly tags: readonly string[]; readonly offset: { readonly start: number; readonly length: number } }[];
}

/** Person names as compromise's entity recogniser tags them; an honorific (Dr., Mrs.) before a name stays in clear. */
export const detectNames: Detector = (text) =>
  (nlp(text).people().out("offset") as OffsetMatch[]).flatMap((match) => {
    const named = match.terms.filter((t) => !t.tags.includes("Honorific"));
    if (named.length === 0) return [];
    const first = named[0]!.offset;
    const last = named[named.length - 1]!.offset;
    return [{ kind: "name" as const, start: first.start, end: last.start + last.length }];
  });

export const detectors: Readonly<Record<RedactionKind, Detector>> = {
  email: detectEmails,
  phone: detectPhones,
  card: detectCards,
  iban: detectIbans,
  ip: detectIps,
  name: detectNames,
};

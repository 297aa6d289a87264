/**
 * The one parser for instants sent by callers: ISO-8601 / RFC 3339 date-times
 * with a time zone (`2026-03-03T12:00:00Z`, `2026-03-03T13:00:00.5+01:00`).
 * JavaScript's `Date.parse` rolls impossible dates over (`2026-02-30` becomes
 * 2 March) and reads zone-less text as local time, so both are refused here.
 */
const pattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/;

export const isoInstantExample = "2026-03-03T12:00:00Z";
export const isoInstantRule = `an ISO-8601 time with a time zone, such as ${isoInstantExample}`;

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysInMonth = (year: number, month: number): number => [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;

/** The instant as a canonical UTC ISO string, or undefined when the text is not a real moment between years 0000 and 9999. */
export function parseIsoInstant(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  const match = pattern.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = match[6] === undefined ? 0 : Number(match[6]);
  const millis = match[7] === undefined ? 0 : Math.floor(Number(match[7]) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetMinutes = zoneOffsetMinutes(match[8]!);
  if (offsetMinutes === undefined) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const instant = new Date(date.getTime() - offsetMinutes * 60_000);
  // A zone offset can push 9999-12-31 past the last four-digit year; stored times must stay comparable as text.
  if (instant.getUTCFullYear() < 0 || instant.getUTCFullYear() > 9999) return undefined;
  return instant.toISOString();
}

export const isIsoInstant = (text: unknown): boolean => parseIsoInstant(text) !== undefined;

function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone === "Z" || zone === "z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith("-") ? -1 : 1) * (hours * 60 + minutes);
}

import * as chrono from "chrono-node";

/** A time expression found in a query and the event-time range it names (inclusive ISO-8601 bounds, UTC). */
export interface QueryTimeRange {
  /** The words of the query that named the time ("last May", "in 2022"). */
  readonly expression: string;
  readonly from: string;
  readonly to: string;
  /** The query with the expression taken out (for the lexical retriever, when asked to). */
  readonly queryWithout: string;
}

const months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
/** "last May": chrono-node leaves a bare month after "last" unparsed, so it is read here: the latest such month before the reference. */
const lastMonth = new RegExp(`\\blast\\s+(${months.join("|")})\\b`, "i");
/** "in 2022", "during 2019": a year alone, which chrono-node does not read as a date. */
const inYear = /\b(?:in|during|since|of)\s+((?:19|20)\d\d)\b(?!\s*[-/:])/i;
/**
 * "the week before the trip", "two days after her birthday": relative to an event the query
 * names, which only the memory itself could date. chrono-node would read "the week before" as
 * relative to now, which is wrong, so such expressions are left unresolved.
 */
const anchoredToEvent = /\b(before|after)\s+(the|her|his|their|my|our|your|a|an)\b/i;

const dayMs = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const utc = (year: number, month = 0, day = 1) => Date.UTC(year, month, day);

/**
 * The first time expression of a query resolved against a reference time (the request's
 * as-of time, else the clock), as a range of event time: a day when the day is known, the
 * week for "last week", a month when only the month is known, a year when only the year is.
 * Undefined when the query names no time this can resolve.
 */
export function resolveQueryTimeRange(query: string, reference: Date): QueryTimeRange | undefined {
  const found = ownRules(query, reference) ?? chronoRange(query, reference);
  if (found === undefined) return undefined;
  const queryWithout = `${query.slice(0, found.index)} ${query.slice(found.index + found.expression.length)}`.replace(/\s+/g, " ").trim();
  return { expression: found.expression, from: iso(found.from), to: iso(found.to - 1), queryWithout };
}

type Found = { expression: string; index: number; from: number; to: number };

function ownRules(query: string, reference: Date): Found | undefined {
  const month = lastMonth.exec(query);
  if (month) {
    const m = months.indexOf(month[1]!.toLowerCase());
    const year = m < reference.getUTCMonth() ? reference.getUTCFullYear() : reference.getUTCFullYear() - 1;
    return { expression: month[0], index: month.index, from: utc(year, m), to: utc(year, m + 1) };
  }
  const year = inYear.exec(query);
  if (year) {
    const y = Number(year[1]);
    return { expression: year[0], index: year.index, from: utc(y), to: utc(y + 1) };
  }
  return undefined;
}

function chronoRange(query: string, reference: Date): Found | undefined {
  for (const result of chrono.parse(query, { instant: reference, timezone: "UTC" })) {
    if (anchoredToEvent.test(query.slice(result.index, result.index + result.text.length + 12))) continue;
    const start = result.start.date();
    const known = (key: "day" | "month" | "year") => result.start.isCertain(key);
    let from: number;
    let to: number;
    if (/\bweek\b/i.test(result.text)) {
      from = utc(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
      to = from + 7 * dayMs;
    } else if (known("day") || /\b(ago|yesterday|today|tomorrow)\b/i.test(result.text)) {
      from = utc(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
      to = from + dayMs;
    } else if (known("month")) {
      from = utc(start.getUTCFullYear(), start.getUTCMonth());
      to = utc(start.getUTCFullYear(), start.getUTCMonth() + 1);
    } else {
      from = utc(start.getUTCFullYear());
      to = utc(start.getUTCFullYear() + 1);
    }
    if (result.end) {
      const end = result.end.date();
      to = Math.max(to, utc(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate()) + dayMs);
    }
    return { expression: result.text, index: result.index, from, to };
  }
  return undefined;
}

/** Whether a unit's event time (ISO-8601, any offset) lies in an inclusive range; a unit without one never does. */
export function eventTimeWithin(eventTime: string | undefined, range: { readonly from: string; readonly to: string }): boolean {
  if (eventTime === undefined) return false;
  const at = Date.parse(eventTime);
  return !Number.isNaN(at) && at >= Date.parse(range.from) && at <= Date.parse(range.to);
}

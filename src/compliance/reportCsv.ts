/**
 * RFC 4180 CSV of report rows: a header of the given columns, CRLF line ends,
 * a field quoted when it holds a comma, a quote, CR or LF (quotes doubled),
 * lists joined with `;`. A field starting with = + - @ gets a leading `'` so a
 * spreadsheet never runs an actor name or a reason as a formula.
 */
export function toCsv(columns: readonly string[], rows: readonly object[]): string {
  const lines = [columns.map(csvField).join(",")];
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    lines.push(columns.map((column) => csvField(record[column])).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

function csvField(value: unknown): string {
  if (value === undefined || value === null) return "";
  let text = Array.isArray(value) ? value.join(";") : String(value);
  if (/^[=+\-@]/.test(text) && typeof value !== "number") text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

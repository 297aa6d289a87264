/** A connection URL fit for logs and error messages: credentials (`user:password@`) replaced by `***@`. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//***@");
}

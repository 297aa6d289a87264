/**
 * Route schemas are JSON Schema draft-07, which Ajv validates requests with;
 * OpenAPI 3.0 schema objects take draft-04's form of the exclusive bounds
 * (`exclusiveMinimum: true` beside `minimum`). This rewrites them in the
 * generated document only, so validation and the document say the same thing
 * and tools that check the document (Schemathesis, generators) accept it.
 */
export function withOpenApi30Bounds<T>(document: T): T {
  return rewrite(document) as T;
}

const bounds = [
  { exclusive: "exclusiveMinimum", inclusive: "minimum", isTighter: (exclusive: number, inclusive: number) => exclusive >= inclusive },
  { exclusive: "exclusiveMaximum", inclusive: "maximum", isTighter: (exclusive: number, inclusive: number) => exclusive <= inclusive },
] as const;

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = rewrite(value);
  for (const { exclusive, inclusive, isTighter } of bounds) {
    const limit = out[exclusive];
    if (typeof limit !== "number") continue;
    const other = out[inclusive];
    // Draft-07 applies both bounds; the tighter one is the whole constraint.
    if (typeof other === "number" && !isTighter(limit, other)) {
      delete out[exclusive];
    } else {
      out[inclusive] = limit;
      out[exclusive] = true;
    }
  }
  return out;
}

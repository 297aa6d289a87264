/**
 * A POST or PATCH sent with no body is read as `{}` (so `curl -X POST
 * .../archive` works), which makes a body optional wherever its schema
 * requires no property. @fastify/swagger marks every request body required;
 * this says `required: false` for those, so the document matches what the
 * server accepts.
 */
type RequestBody = { required?: boolean; content?: Record<string, { schema?: { required?: readonly string[] } }> };
type Document = { paths?: Record<string, Record<string, { requestBody?: RequestBody }>> };

export function withOptionalBodies<T extends object>(document: T): T {
  for (const operations of Object.values((document as Document).paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const body = operation.requestBody;
      if (body === undefined) continue;
      const requiresSomething = Object.values(body.content ?? {}).some((media) => (media.schema?.required?.length ?? 0) > 0);
      if (!requiresSomething) body.required = false;
    }
  }
  return document;
}

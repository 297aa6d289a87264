import { Ajv } from "ajv";

/** The parts of an OpenAPI 3.0 document these tests read. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, OpenApiOperation>>;
}
export interface OpenApiOperation {
  readonly responses: Record<string, { readonly content?: Record<string, { readonly schema?: object }>; readonly links?: Record<string, unknown> }>;
  readonly operationId?: string;
}

/** The operation at an OpenAPI path template (`/memories/{memoryId}`), or a failure naming what exists. */
export function operationOf(doc: OpenApiDocument, method: string, pathTemplate: string): OpenApiOperation {
  const operation = doc.paths[pathTemplate]?.[method.toLowerCase()];
  if (!operation) throw new Error(`the OpenAPI document has no ${method} ${pathTemplate}; it has ${Object.keys(doc.paths).join(", ")}`);
  return operation;
}

// Ajv knows OpenAPI's `nullable`; strict mode would refuse its other keywords (`example`, `description` on refs).
const ajv = new Ajv({ strict: false, allErrors: true });

/** Problems of a response against what the document declares for its status and content type: none means it conforms. */
export function conformanceProblems(doc: OpenApiDocument, method: string, pathTemplate: string, status: number, contentType: string | undefined, body: unknown): string[] {
  const declared = operationOf(doc, method, pathTemplate).responses[String(status)];
  if (!declared) return [`${method} ${pathTemplate} answered ${status}, which its OpenAPI responses (${Object.keys(operationOf(doc, method, pathTemplate).responses).join(", ")}) do not declare`];
  if (!declared.content) return [];
  const mediaType = (contentType ?? "").split(";")[0]!.trim();
  const content = declared.content[mediaType];
  if (!content) return [`${method} ${pathTemplate} ${status} answered ${mediaType || "no content type"}; declared: ${Object.keys(declared.content).join(", ")}`];
  if (!content.schema) return [];
  const validate = ajv.compile(content.schema);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${method} ${pathTemplate} ${status}: body${e.instancePath} ${e.message}`);
}

import type { FastifyError } from "fastify";
import { isoInstantRule } from "../../domain/time/isoInstant.js";

type SchemaError = NonNullable<FastifyError["validation"]>[number] & { parentSchema?: { description?: unknown } };

/** A schema validation failure as `{ field, message }`: which part of the request, which field, and what to send instead. */
export function validationFailure(error: FastifyError): { field?: string; message: string } {
  const part = error.validationContext ?? "request";
  const first = error.validation?.[0] as SchemaError | undefined;
  const seeSchema = "; see GET /openapi.json for the expected shape";
  if (first === undefined) return { message: `${part}${error.message.replace(/^(body|querystring|params|headers)/, "")}${seeSchema}` };
  const missing = first.keyword === "required" ? String((first.params as { missingProperty?: unknown }).missingProperty ?? "") : "";
  const path = `${first.instancePath}${missing ? `/${missing}` : ""}`;
  const field = path.slice(1).replaceAll("/", ".");
  const where = `${part}${path}`;
  return { ...(field !== "" ? { field } : {}), message: `${where} ${problem(first)}${seeSchema}` };
}

function problem(error: SchemaError): string {
  const params = error.params as { format?: unknown; allowedValues?: unknown; limit?: unknown };
  if (error.keyword === "format" && params.format === "date-time") return `must be ${isoInstantRule} (a real date, year 9999 at most)`;
  if (error.keyword === "enum" && Array.isArray(params.allowedValues)) return `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  if (error.keyword === "pattern" && typeof error.parentSchema?.description === "string") return `must be ${error.parentSchema.description}`;
  if (error.keyword === "required") return "is required";
  return error.message ?? "is not valid";
}

import { Ajv, type Options } from "ajv";
import addFormatsModule from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";
import { isIsoInstant } from "../../domain/time/isoInstant.js";

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const shared: Options = {
  // Reject unknown properties instead of silently dropping them.
  removeAdditional: false,
  useDefaults: true,
  // allErrors invites a DoS on large bodies: the first problem is enough to name the field.
  allErrors: false,
  allowUnionTypes: true,
  // Errors carry their schema, so a failed pattern can be explained by its description.
  verbose: true,
};

function validatorFactory(options: Options): Ajv {
  const ajv = addFormats(new Ajv({ ...shared, ...options }));
  // One time parser for every route: a time zone is required, impossible dates and years past 9999 are refused.
  ajv.addFormat("date-time", { type: "string", validate: isIsoInstant });
  return ajv;
}

/**
 * JSON bodies keep their types: `"name": 123` is a 400, not "123". Querystrings,
 * path parameters and headers arrive as text, so they are coerced to the schema's types.
 */
export function requestValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const bodies = validatorFactory({ coerceTypes: false });
  const textParts = validatorFactory({ coerceTypes: "array" });
  return ({ schema, httpPart }) => (httpPart === "body" ? bodies : textParts).compile(schema as object);
}

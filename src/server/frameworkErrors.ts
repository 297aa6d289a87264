import type { FastifyError, FastifyRequest } from "fastify";

/** Path parameters (ids) longer than this are refused before routing, with a 414. */
export const maxPathParameterLength = 200;

const megabytes = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
const limitText = (bytes: number): string => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : megabytes(bytes));

/**
 * Fastify's own refusals (body too large, wrong content type, id too long) as
 * our `{ error, message, ...details }` with a stable tag, the limit and what to
 * send instead; undefined for errors that are not one of these.
 */
export function frameworkRefusal(error: FastifyError, request: FastifyRequest): { status: number; body: Record<string, unknown> } | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE": {
      const limitBytes = request.routeOptions.bodyLimit ?? 0;
      const sizeBytes = Number(request.headers["content-length"]);
      const size = Number.isFinite(sizeBytes) && sizeBytes > 0 ? `the body is ${megabytes(sizeBytes)}` : "the body is too large";
      return {
        status: 413,
        body: {
          error: "PayloadTooLarge",
          message: request.routeOptions.url === "/cubes/:cubeId/documents"
            ? `${size}; the limit is ${limitText(limitBytes)} for one document (about ${limitText(Math.floor((limitBytes * 3) / 4))} of PDF once base64-encoded); split the document (by chapter or page range) into several POST /cubes/:cubeId/documents calls`
            : `${size}; the limit is ${limitText(limitBytes)}; send fewer or shorter memories per request (split a batch into several POST /cubes/:cubeId/add calls; mode "async" answers at once)`,
          limitBytes,
          ...(Number.isFinite(sizeBytes) && sizeBytes > 0 ? { sizeBytes } : {}),
        },
      };
    }
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE": {
      const contentType = request.headers["content-type"] ?? "none";
      return {
        status: 415,
        body: { error: "UnsupportedMediaType", message: `the body's content type is ${contentType}; send a JSON body with the header content-type: application/json`, contentType },
      };
    }
    case "FST_ERR_MAX_PARAM_LENGTH":
      return {
        status: 414,
        body: { error: "UriTooLong", message: `a path parameter is longer than ${maxPathParameterLength} characters; ids are at most ${maxPathParameterLength} characters, check the URL`, limit: maxPathParameterLength },
      };
    case "FST_ERR_BAD_URL":
      return { status: 400, body: { error: "InvalidUrl", message: `the URL ${request.url} is not valid (a bad percent-encoding?); encode path parameters with encodeURIComponent` } };
    default:
      return undefined;
  }
}

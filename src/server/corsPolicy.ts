import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";

/** What a browser client of the API sends and may read, beyond the CORS-safelisted headers. */
const allowedHeaders = ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Reason", "X-Correlation-Id", "X-On-Behalf-Of"];
const exposedHeaders = ["ETag", "Retry-After", "Location"];

/**
 * CORS for browser clients on the listed origins only. An empty list registers
 * nothing: no Access-Control-* header on any answer, preflights included, so a
 * browser on another origin cannot call the API. `["*"]` allows any origin.
 * Register before the auth hook: a preflight carries no credentials.
 */
export async function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): Promise<void> {
  if (allowedOrigins.length === 0) return;
  await app.register(cors, {
    // An array is matched exactly against the Origin header; the plugin turns a list holding "*" into "*".
    origin: allowedOrigins.includes("*") ? "*" : [...allowedOrigins],
    methods: ["GET", "POST", "PATCH", "DELETE"],
    allowedHeaders,
    exposedHeaders,
  });
}

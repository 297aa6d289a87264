import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

export const swaggerUiPrefix = "/docs";

/**
 * Swagger UI over the server's own OpenAPI document at /docs. Its assets
 * ship in @fastify/swagger-ui and are served from here: no CDN, so it works
 * offline. Public like /openapi.json (the document is
 * the same one); its routes are hidden from the document, and "Authorize"
 * takes the API key for the calls a reader tries.
 */
export async function registerSwaggerUi(app: FastifyInstance): Promise<void> {
  await app.register(async (docs) => {
    // The UI's pages are not API calls: served without a credential, like /openapi.json.
    docs.addHook("onRoute", (route) => {
      route.config = { ...(route.config ?? {}), public: true };
    });
    await docs.register(swaggerUi, {
      routePrefix: swaggerUiPrefix,
      uiConfig: { docExpansion: "list", deepLinking: true, persistAuthorization: false },
    });
  });
}

import type { FastifyInstance } from "fastify";
import { loadViewerAssets } from "./viewerAssets.js";

/**
 * The web viewer at /ui: static files only. They are public (a browser cannot
 * send a key before the login page has asked for it) and hidden from the
 * OpenAPI document; every piece of data the page shows comes from the REST API
 * with the key the user typed, so the viewer can see nothing its key cannot.
 */
export function viewerRoutes(app: FastifyInstance): void {
  const assets = loadViewerAssets();
  const options = { schema: { hide: true }, config: { public: true } } as const;
  app.get("/ui", options, async (_request, reply) => reply.redirect("/ui/", 302));
  app.get<{ Params: { "*": string } }>("/ui/*", options, async (request, reply) => {
    const path = request.params["*"] === "" ? "index.html" : request.params["*"];
    const asset = assets.get(path);
    if (asset === undefined) {
      return reply.status(404).send({ error: "RouteNotFound", message: `the viewer has no file ${path}; open /ui/` });
    }
    // The page and its modules change with each release; the browser asks again rather than keep a stale copy.
    return reply.header("content-type", asset.contentType).header("cache-control", "no-cache").send(asset.body);
  });
}

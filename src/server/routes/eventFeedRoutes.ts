import type { FastifyInstance } from "fastify";
import type { ServerResponse } from "node:http";
import type { FeedSubscription } from "../../feed/memoryEventFeed.js";
import type { PublicMemoryEvent } from "../../feed/publicMemoryEvent.js";
import { feedEventSchema } from "../responseSchemas.js";
import { errorResponse } from "../schemas.js";

export interface EventFeedOptions {
  /** Comment lines keep proxies and load balancers from closing an idle stream. */
  readonly heartbeatMs?: number;
  /** The `retry:` hint: how long an EventSource waits before reconnecting. */
  readonly retryMs?: number;
}

const eventFeedQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    after: { type: "integer", minimum: 0, default: 0, description: "global log position to start after; 0 replays the whole log" },
    cubeId: { type: "string", minLength: 1, maxLength: 200, description: "only the memory events of this cube" },
    includeContent: { type: "boolean", default: false, description: "open sealed content (null once erased); withheld by default" },
  },
} as const;

const eventFeedHeaders = {
  type: "object",
  properties: {
    "last-event-id": { type: "string", pattern: "^[0-9]{0,15}$", description: "the last position received; overrides `after` (sent by EventSource when it reconnects)" },
  },
} as const;

interface FeedQuery {
  readonly after: number;
  readonly cubeId?: string;
  readonly includeContent: boolean;
}

/** `GET /events`: the public memory event feed over Server-Sent Events. */
export function eventFeedRoutes(app: FastifyInstance, options: EventFeedOptions = {}): void {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const retryMs = options.retryMs ?? 3_000;
  const open = new Set<() => void>();
  // An open stream never finishes by itself, so app.close() would wait for it forever.
  app.addHook("preClose", async () => {
    for (const end of [...open]) end();
  });

  app.get<{ Querystring: FeedQuery; Headers: { "last-event-id"?: string } }>(
    "/events",
    {
      schema: {
        tags: ["feed"],
        summary: "Memory events as Server-Sent Events: the log after a position, then live ones",
        description:
          "Each event is `id: <position>`, `event: <type>`, `data: <JSON public memory event>`. A `Last-Event-ID` header overrides `after`, so an EventSource resumes by itself. Content is withheld unless `includeContent=true`.",
        querystring: eventFeedQuery,
        headers: eventFeedHeaders,
        response: { 200: { description: "text/event-stream of public memory events", content: { "text/event-stream": { schema: feedEventSchema } } }, 400: errorResponse, 404: errorResponse },
      },
    },
    async (request, reply) => {
      const lastEventId = request.headers["last-event-id"];
      const after = lastEventId !== undefined && lastEventId !== "" ? Number(lastEventId) : request.query.after;
      const { cubeId, includeContent } = request.query;
      // Refuse an unreadable cube with a JSON 403/404 now: once the stream is open only events can be sent.
      // (Reading the cube needs the same permission as its feed; events are then filtered one by one.)
      if (cubeId !== undefined) await request.ledger.cubes.get(cubeId);
      const subscription = request.ledger.feed.subscribe({ after, ...(cubeId !== undefined ? { cubeId } : {}), includeContent });

      // From here on Fastify no longer touches the response: we own its status, headers and end.
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        // Proxies such as nginx buffer responses unless told not to.
        "x-accel-buffering": "no",
      });
      raw.write(`retry: ${retryMs}\n\n`);
      const heartbeat = setInterval(() => {
        if (!raw.writableNeedDrain) raw.write(": heartbeat\n\n");
      }, heartbeatMs);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        open.delete(end);
        clearInterval(heartbeat);
        void subscription.close();
        if (!raw.destroyed && !raw.writableEnded) raw.end();
      };
      open.add(end);
      // The response's 'close' fires when the client goes away (its socket closed) as well as after end().
      raw.once("close", end);
      await pump(subscription, raw, () => ended).catch((error: unknown) => request.log.error({ err: error }, "event feed stopped"));
      end();
    },
  );
}

async function pump(subscription: FeedSubscription, raw: ServerResponse, ended: () => boolean): Promise<void> {
  for await (const event of subscription) {
    if (ended()) return;
    await write(raw, frame(event));
  }
}

function frame(event: PublicMemoryEvent): string {
  return `id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Waits for 'drain' when the socket buffer is full, so a slow client does not pile the log up in memory. */
function write(raw: ServerResponse, chunk: string): Promise<void> {
  if (raw.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      raw.off("drain", done);
      raw.off("close", done);
      resolve();
    };
    raw.on("drain", done);
    raw.on("close", done);
  });
}

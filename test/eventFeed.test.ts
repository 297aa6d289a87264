import type { FastifyInstance } from "fastify";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { connectMemLedger } from "../src/client/httpClient.js";
import type { FeedOptions, FeedSubscription } from "../src/feed/memoryEventFeed.js";
import type { PublicMemoryEvent } from "../src/feed/publicMemoryEvent.js";
import { SseParser, type SseMessage } from "../src/feed/sseParser.js";
import { buildServer } from "../src/server/buildServer.js";
import { authenticatedServer } from "./support/authenticatedServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/** `Authorization: Bearer <admin key of tenant default>`, set once the server is up; every request of the suite sends it. */
let credential: { authorization: string } | Record<string, never> = {};
let adminKey = "";

/** A raw `GET /events` reader: what an EventSource or `curl -N` sees. */
class RawFeed {
  readonly messages: SseMessage[] = [];
  text = "";
  private readonly parser = new SseParser();
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {
    this.reader = response.body!.getReader();
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<RawFeed> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: "text/event-stream", ...credential, ...headers }, signal: abort.signal });
    return new RawFeed(response, abort);
  }

  get events(): PublicMemoryEvent[] {
    return this.messages.map((m) => JSON.parse(m.data) as PublicMemoryEvent);
  }

  /** Reads until `count` events arrived in all (false if the server ended the stream first). */
  async until(count: number, text?: string): Promise<boolean> {
    while (this.messages.length < count || (text !== undefined && !this.text.includes(text))) {
      const chunk = await this.reader.read();
      if (chunk.done) return false;
      const decoded = this.decoder.decode(chunk.value, { stream: true });
      this.text += decoded;
      this.messages.push(...this.parser.push(decoded));
    }
    return true;
  }

  async take(count: number): Promise<PublicMemoryEvent[]> {
    await this.until(count);
    return this.events.slice(0, count);
  }

  close(): void {
    this.abort.abort();
  }
}

async function take(subscription: FeedSubscription, count: number): Promise<PublicMemoryEvent[]> {
  const events: PublicMemoryEvent[] = [];
  if (count === 0) return events;
  for await (const event of subscription) {
    events.push(event);
    if (events.length === count) break;
  }
  return events;
}

const summary = (events: readonly PublicMemoryEvent[]) => events.map((e) => ({ position: e.position, type: e.type, memoryId: e.memoryId, revision: e.revision }));

describe("the public memory event feed over Server-Sent Events", () => {
  let ledger: MemLedger;
  let dispose: () => Promise<void>;
  let app: FastifyInstance;
  let baseUrl: string;
  const units: string[] = [];
  /** Every subscription the server opened, and whether it was closed since. */
  const opened: Array<{ options: FeedOptions; closed: boolean }> = [];
  let north1: string;
  let erasedUnit: string;

  /** A feed whose subscriptions are recorded in `opened`, each watched for close(). */
  const watchedFeed = (feed: MemLedger["feed"]): MemLedger["feed"] => ({
    subscribe: (options = {}) => {
      const subscription = feed.subscribe(options);
      const record = { options, closed: false };
      opened.push(record);
      return {
        [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
        close: async () => {
          record.closed = true;
          await subscription.close();
        },
      };
    },
  });
  /** The ledger as the server sees it: each route acts through `as(principal)`, whose feed subscriptions are watched. */
  const watched = (inner: MemLedger): MemLedger => ({
    ...inner,
    feed: watchedFeed(inner.feed),
    as: (principal) => {
      const scoped = inner.as(principal);
      return { ...scoped, feed: watchedFeed(scoped.feed) };
    },
  });

  /** The memory events of every unit written so far, in log order, from each unit's history. */
  const expected = async () => {
    const entries = [];
    for (const memoryId of units) for (const e of await ledger.memories.history(memoryId)) entries.push({ position: e.position, type: e.type, memoryId, revision: e.revision });
    return entries.sort((a, b) => a.position - b.position);
  };

  beforeAll(async () => {
    const t = await tempLedger();
    ledger = t.ledger;
    dispose = t.dispose;
    await ledger.cubes.create({ cubeId: "north", name: "North", owner: { kind: "user", id: "alice" } });
    await ledger.cubes.create({ cubeId: "south", name: "South", owner: { kind: "user", id: "bob" } });
    north1 = (await ledger.memories.create({ cubeId: "north", text: "Alice likes tea", userId: "alice" })).memoryId;
    const south1 = (await ledger.memories.create({ cubeId: "south", text: "Bob likes coffee", userId: "bob" })).memoryId;
    await ledger.memories.edit(north1, { content: { text: "Alice likes green tea" } });
    erasedUnit = (await ledger.memories.create({ cubeId: "north", text: "Carol lives in Lyon", subjectId: "carol" })).memoryId;
    await ledger.memories.archive(south1);
    await ledger.memories.erase(erasedUnit);
    units.push(north1, south1, erasedUnit);

    const server = await authenticatedServer(watched(ledger), t.dataDir, { feed: { heartbeatMs: 50, retryMs: 250 } });
    app = server.app;
    adminKey = await server.tokenFor("default");
    credential = { authorization: `Bearer ${adminKey}` };
    baseUrl = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  it("replays every memory event from position 0 in log order, and nothing from cube or registry streams", async () => {
    const want = await expected();
    const feed = await RawFeed.open(`${baseUrl}/events`);
    const events = await feed.take(want.length);
    feed.close();
    expect(feed.response.status).toBe(200);
    expect(feed.response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(summary(events)).toEqual(want);
    // The SSE id is the log position and the SSE event name is the type, so EventSource listeners can pick types.
    expect(feed.messages.map((m) => [m.id, m.event])).toEqual(want.map((e) => [String(e.position), e.type]));
    expect(events[0]).toMatchObject({ tenantId: "default", cubeId: "north", actor: "library", recordedAt: expect.any(String), correlationId: expect.any(String) });
  });

  it("skips the events at or before `after`", async () => {
    const want = await expected();
    const feed = await RawFeed.open(`${baseUrl}/events?after=${want[2]!.position}`);
    const events = await feed.take(want.length - 3);
    feed.close();
    expect(summary(events)).toEqual(want.slice(3));
  });

  it("shows only the cube asked for", async () => {
    const want = (await expected()).filter((e) => e.memoryId !== north1 && e.memoryId !== erasedUnit);
    const feed = await RawFeed.open(`${baseUrl}/events?cubeId=south`);
    const events = await feed.take(want.length);
    feed.close();
    expect(summary(events)).toEqual(want);
    expect(new Set(events.map((e) => e.cubeId))).toEqual(new Set(["south"]));
  });

  it("resumes after the Last-Event-ID header, which overrides `after`", async () => {
    const want = await expected();
    const feed = await RawFeed.open(`${baseUrl}/events?after=0`, { "last-event-id": String(want[3]!.position) });
    const events = await feed.take(want.length - 4);
    feed.close();
    expect(summary(events)).toEqual(want.slice(4));
  });

  it("delivers events written after the client connected", async () => {
    const head = (await expected()).at(-1)!.position;
    const feed = await RawFeed.open(`${baseUrl}/events?after=${head}`);
    const live = await ledger.memories.create({ cubeId: "south", text: "Bob moved to Oslo", userId: "bob" });
    units.push(live.memoryId);
    const events = await feed.take(2);
    feed.close();
    expect(summary(events)).toEqual((await expected()).filter((e) => e.position > head));
    expect(events.map((e) => e.memoryId)).toEqual([live.memoryId, live.memoryId]);
  });

  it("withholds content by default, opens it on request, and shows null once the unit is erased", async () => {
    const plain = await RawFeed.open(`${baseUrl}/events?cubeId=north`);
    const [created, activated, edited] = await plain.take(3);
    plain.close();
    expect(created).toMatchObject({ type: "MemoryCreated", memoryId: north1, contentWithheld: true });
    expect(created!.data).not.toHaveProperty("content");
    expect(created!.data).toMatchObject({ memoryId: north1, cubeId: "north", attributes: expect.any(Object) });
    expect(activated).toMatchObject({ type: "MemoryActivated", contentWithheld: false });
    expect(edited).toMatchObject({ type: "MemoryEdited", contentWithheld: true });
    expect(plain.text).not.toContain("Alice likes");

    const full = await RawFeed.open(`${baseUrl}/events?cubeId=north&includeContent=true`);
    const events = await full.take(5);
    full.close();
    expect(events.every((e) => !e.contentWithheld)).toBe(true);
    expect(events[0]!.data.content).toMatchObject({ text: "Alice likes tea", userId: "alice" });
    expect(events[2]!.data.content).toMatchObject({ text: "Alice likes green tea" });
    // The unit erased before the feed was read: its created event survives, its content does not.
    expect(events[3]).toMatchObject({ type: "MemoryCreated", memoryId: erasedUnit, data: { content: null } });
    expect(events[4]).toMatchObject({ type: "MemoryActivated", memoryId: erasedUnit });

    const unit = await ledger.memories.create({ cubeId: "south", text: "Dan owns a boat", userId: "dan" });
    units.push(unit.memoryId);
    const from = (await ledger.memories.history(unit.memoryId))[0]!.position - 1;
    const opened1 = await RawFeed.open(`${baseUrl}/events?cubeId=south&includeContent=true&after=${from}`);
    expect((await opened1.take(1))[0]!.data.content).toMatchObject({ text: "Dan owns a boat" });
    opened1.close();
    await ledger.memories.erase(unit.memoryId);
    const afterErasure = await RawFeed.open(`${baseUrl}/events?cubeId=south&includeContent=true&after=${from}`);
    const replay = await afterErasure.take(3);
    afterErasure.close();
    expect(replay.map((e) => [e.type, "content" in e.data ? e.data.content : "no content field"])).toEqual([
      ["MemoryCreated", null],
      ["MemoryActivated", "no content field"],
      ["MemoryErased", "no content field"],
    ]);
  });

  it("gives the HTTP client and the library the same sequence as the raw stream", async () => {
    units.push((await ledger.memories.create({ cubeId: "north", text: "Eve reads maps", userId: "eve" })).memoryId);
    const want = await expected();
    const raw = await RawFeed.open(`${baseUrl}/events`);
    const rawEvents = await raw.take(want.length);
    raw.close();
    const remote = await connectMemLedger(baseUrl, { apiKey: adminKey });
    try {
      const viaClient = await take(remote.feed.subscribe(), want.length);
      expect(viaClient).toEqual(rawEvents);
      expect(summary(viaClient)).toEqual(want);
      const options = { after: want[1]!.position, cubeId: "north", includeContent: true };
      const local = await take(ledger.feed.subscribe(options), want.filter((e) => e.position > options.after && [north1, erasedUnit, units.at(-1)].includes(e.memoryId)).length);
      expect(await take(remote.feed.subscribe(options), local.length)).toEqual(local);
      expect(local.some((e) => e.data.content !== undefined && e.data.content !== null)).toBe(true);
    } finally {
      await remote.close();
    }
  });

  it("closes the subscription when the client disconnects", async () => {
    const before = opened.length;
    const feed = await RawFeed.open(`${baseUrl}/events?after=0`);
    await feed.take(1);
    expect(opened.length).toBe(before + 1);
    expect(opened.at(-1)!.closed).toBe(false);
    feed.close();
    await vi.waitFor(() => expect(opened.at(-1)!.closed).toBe(true));

    const remote = await connectMemLedger(baseUrl, { apiKey: adminKey });
    const subscription = remote.feed.subscribe({ after: 0 });
    await take(subscription, 1);
    await vi.waitFor(() => expect(opened.at(-1)!.closed).toBe(true));

    // Closing the client ends a feed someone is still iterating, and the server sees it go.
    const head = (await expected()).at(-1)!.position;
    const waiting = take(remote.feed.subscribe({ after: head }), 1);
    await vi.waitFor(() => expect(opened.at(-1)!.options.after).toBe(head));
    await remote.close();
    expect(await waiting).toEqual([]);
    await vi.waitFor(() => expect(opened.at(-1)!.closed).toBe(true));
  });

  it("sends a retry hint, then heartbeat comments while nothing happens", async () => {
    const head = (await expected()).at(-1)!.position;
    const feed = await RawFeed.open(`${baseUrl}/events?after=${head}`);
    await feed.until(0, ": heartbeat\n\n");
    feed.close();
    expect(feed.text.startsWith("retry: 250\n\n")).toBe(true);
    expect(feed.messages).toEqual([]);
  });

  it("answers a bad query or Last-Event-ID with a 400 JSON error before any stream starts", async () => {
    for (const [query, headers] of [
      ["after=-1", {}],
      ["after=soon", {}],
      ["includeContent=perhaps", {}],
      ["cubeid=north", {}],
      ["", { "last-event-id": "abc" }],
    ] as const) {
      const response = await fetch(`${baseUrl}/events?${query}`, { headers: { ...credential, ...headers } });
      expect(response.status, query).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ error: "ValidationError", message: expect.stringContaining("openapi.json") });
    }
    const remote = await connectMemLedger(baseUrl, { apiKey: adminKey });
    const failure = await failureOf(take(remote.feed.subscribe({ after: -1 }), 1));
    expect(failure).toMatchObject({ _tag: "ValidationError", status: 400 });
  });

  it("documents GET /events under the feed tag of the OpenAPI document", async () => {
    const doc = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as {
      tags: Array<{ name: string }>;
      paths: Record<string, { get?: { tags?: string[]; parameters?: Array<{ name: string; in: string }> } }>;
    };
    expect(doc.tags.map((t) => t.name)).toContain("feed");
    expect(doc.paths["/events"]?.get?.tags).toEqual(["feed"]);
    expect(doc.paths["/events"]?.get?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(["query:after", "query:cubeId", "query:includeContent", "header:last-event-id"]),
    );
  });

  it("ends open streams and closes their subscriptions when the server shuts down", async () => {
    const second = await buildServer(watched(ledger), { feed: { heartbeatMs: 50 } });
    const url = await second.listen({ host: "127.0.0.1", port: 0 });
    const feed = await RawFeed.open(`${url}/events`);
    await feed.take(1);
    const record = opened.at(-1)!;
    const started = Date.now();
    await second.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(record.closed).toBe(true);
    expect(await feed.until(Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe("the HTTP client's feed against a stub server that drops the connection", () => {
  let server: Server;
  let baseUrl: string;
  const urls: string[] = [];
  const event = (position: number): PublicMemoryEvent => ({
    eventId: `e${position}`,
    type: "MemoryActivated",
    schemaVersion: 1,
    memoryId: "m1",
    cubeId: "c",
    tenantId: "default",
    revision: position,
    position,
    recordedAt: "2026-03-01T09:00:00.000Z",
    actor: "user:alice",
    correlationId: "corr",
    data: { memoryId: "m1" },
    contentWithheld: false,
  });
  const frame = (position: number) => `id: ${position}\r\nevent: MemoryActivated\r\ndata: ${JSON.stringify(event(position))}\r\n\r\n`;

  beforeAll(async () => {
    server = createServer((request, response) => {
      urls.push(request.url ?? "");
      if (request.url === "/health") return response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok", engine: "stub" }));
      response.writeHead(200, { "content-type": "text/event-stream" });
      if (urls.filter((u) => u.startsWith("/events")).length === 1) {
        // Two events, the second split mid-line, then the connection dies.
        const two = frame(5) + frame(7);
        response.write(`retry: 10\n\n${two.slice(0, two.length - 30)}`);
        response.write(two.slice(two.length - 30), () => setTimeout(() => request.socket.destroy(), 20));
        return;
      }
      response.write(frame(9));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("reconnects after the last position it handed out, with the same filters", async () => {
    const remote = await connectMemLedger(baseUrl, { apiKey: "mlk.default.stubkey.c2VjcmV0" }); // the stub takes any credential
    const subscription = remote.feed.subscribe({ cubeId: "c", includeContent: true });
    const events = await take(subscription, 3);
    expect(events.map((e) => e.position)).toEqual([5, 7, 9]);
    expect(urls.filter((u) => u.startsWith("/events"))).toEqual(["/events?after=0&cubeId=c&includeContent=true", "/events?after=7&cubeId=c&includeContent=true"]);
  });
});

describe("SseParser", () => {
  it("follows the event-stream rules: any line ending, multi-line data, comments, retry, default type", () => {
    const parser = new SseParser();
    const chunks = [": hello\r", "\nretry: 1500\n\nid: 3\nevent: Memory", "Created\ndata: {\"a\":\r", "\ndata:1}\r\rdata: plain\n", "\n"];
    const messages = chunks.flatMap((c) => parser.push(c));
    expect(messages).toEqual([
      { event: "MemoryCreated", data: '{"a":\n1}', id: "3" },
      { event: "message", data: "plain" },
    ]);
    expect(parser.retryMs).toBe(1500);
    expect(parser.push("event: lonely\n\n")).toEqual([]);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { MemoryContent } from "../domain/memory/memoryContent.js";
import type { ProjectionEvent } from "../projections/projectionEvent.js";
import { contextOff, contextualIndexSettings } from "../src/contextualIndex/contextualIndexSettings.js";
import { contextWords, sessionKeyOf, turnsSeeing, windowOf, type SessionTurn } from "../src/contextualIndex/sessionWindow.js";
import { openSqliteLexicalStore, type LexicalStore } from "../src/readModels/lexical/sqliteLexicalStore.js";

const turn = (order: number, words = `w${order}`): SessionTurn => ({ memoryId: `m${order}`, order, words });

describe("the window of a session turn", () => {
  const session = [5, 1, 3, 9, 7].map((o) => turn(o));

  it("takes the nearest earlier and later turns of the session, nearest first", () => {
    const window = windowOf(session, 5, contextualIndexSettings({ previousTurns: 2, followingTurns: 1 }));
    expect(window.before.map((t) => t.order)).toEqual([3, 1]);
    expect(window.after.map((t) => t.order)).toEqual([7]);
    expect(contextWords(window)).toBe("w1 w3 w7");
  });

  it("is empty when contextual indexing is off", () => {
    expect(contextWords(windowOf(session, 5, contextOff))).toBe("");
  });

  it("names as seeing a turn exactly the turns whose window holds it", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 15 }), fc.nat(4), fc.nat(4), (orders, previousTurns, followingTurns) => {
        const turns = orders.map((o) => turn(o));
        const settings = contextualIndexSettings({ previousTurns, followingTurns });
        for (const target of turns) {
          const seeing = new Set(turnsSeeing(turns, target.order, settings).map((t) => t.order));
          const holding = turns.filter((t) => {
            const w = windowOf(turns, t.order, settings);
            return [...w.before, ...w.after].some((n) => n.order === target.order);
          });
          expect(seeing).toEqual(new Set(holding.map((t) => t.order)));
        }
      }),
    );
  });

  it("belongs to one cube, one memory type and one session id; units without a session have none", () => {
    const content = { sessionId: "s1" } satisfies Pick<MemoryContent, "sessionId">;
    expect(sessionKeyOf("cube-a", "raw_source", content)).not.toBe(sessionKeyOf("cube-b", "raw_source", content));
    expect(sessionKeyOf("cube-a", "raw_source", content)).not.toBe(sessionKeyOf("cube-a", "fact", content));
    expect(sessionKeyOf("cube-a", "raw_source", content)).not.toBe(sessionKeyOf("cube-a", "raw_source", { sessionId: "s2" }));
    expect(sessionKeyOf("cube-a", "raw_source", {})).toBeUndefined();
    expect(sessionKeyOf("cube-a", "raw_source", null)).toBeUndefined();
  });

  it("rejects settings out of range, naming the field", () => {
    expect(() => contextualIndexSettings({ previousTurns: -1 })).toThrow(/previousTurns/);
    expect(() => contextualIndexSettings({ followingTurns: 99 })).toThrow(/followingTurns/);
    expect(() => contextualIndexSettings({ contextWeight: 0 })).toThrow(/contextWeight/);
  });
});

describe("the full-text read model with contextual indexing", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  let position = 0;
  const envelope = () => {
    position += 1;
    return { position, streamId: "s", revision: position, eventId: `e${position}`, metadata: { recordedAt: "2026-03-01T09:00:00.000Z" } };
  };
  const content = (text: string, sessionId?: string): MemoryContent => ({ text, tags: [], sources: [], metadata: {}, ...(sessionId ? { sessionId } : {}) });
  const created = (memoryId: string, text: string, sessionId?: string, cubeId = "c"): ProjectionEvent =>
    ({
      kind: "memory",
      envelope: envelope(),
      event: { type: "MemoryCreated", data: { memoryId, cubeId, content: content(text, sessionId), attributes: { memoryType: "raw_source", confidence: 1, visibility: "cube" } } },
    }) as unknown as ProjectionEvent;
  const edited = (memoryId: string, text: string, sessionId?: string): ProjectionEvent =>
    ({ kind: "memory", envelope: envelope(), event: { type: "MemoryEdited", data: { memoryId, content: content(text, sessionId) } } }) as unknown as ProjectionEvent;
  const erased = (memoryId: string): ProjectionEvent =>
    ({ kind: "memory", envelope: envelope(), event: { type: "MemoryErased", data: { memoryId, scope: "memory" } } }) as unknown as ProjectionEvent;

  const open = (settings = contextOff): LexicalStore => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-context-"));
    dirs.push(dir);
    return openSqliteLexicalStore(join(dir, "lexical.db"), { context: settings });
  };
  /** Positions of the content versions a query finds. */
  const found = (store: LexicalStore, query: string) => store.search(query, 50).map((h) => h.contentPosition).sort((a, b) => a - b);

  const conversation = (): ProjectionEvent[] => {
    position = 0;
    return [
      created("q", "Where did you go for the holidays?", "s1"), // 1
      created("other", "I bought a kayak", "s2"), // 2: another session, between the two turns
      created("a", "Zanzibar, it was lovely", "s1"), // 3
      created("loose", "holidays are over", undefined), // 4: no session
    ];
  };

  it("off: every entry holds its own words only (today's index)", async () => {
    const store = open();
    await store.apply(conversation());
    expect(found(store, "holidays")).toEqual([1, 4]);
    expect(found(store, "kayak")).toEqual([2]);
    expect(found(store, "zanzibar")).toEqual([3]);
  });

  it("on: a turn is found by its predecessor's words, never by another session's, and old versions keep only their own", async () => {
    const store = open(contextualIndexSettings({ previousTurns: 1 }));
    await store.apply(conversation());
    expect(found(store, "holidays")).toEqual([1, 3, 4]);
    // The kayak turn came between them in the log but belongs to another session.
    expect(found(store, "kayak")).toEqual([2]);
    // The unit's own words rank it above the one that only has them as context.
    expect(store.search("holidays", 10).map((h) => h.contentPosition).indexOf(3)).toBeGreaterThan(store.search("holidays", 10).map((h) => h.contentPosition).indexOf(1));
    await store.apply([edited("q", "Where did you travel in December?", "s1")]); // 5
    expect(found(store, "december")).toEqual([3, 5]);
    expect(found(store, "holidays")).toEqual([1, 4]);
  });

  it("on, following turns: a question is found by its answer, and an answer that arrives later rewrites the question's entry", async () => {
    const store = open(contextualIndexSettings({ previousTurns: 0, followingTurns: 1 }));
    await store.apply(conversation());
    expect(found(store, "zanzibar")).toEqual([1, 3]);
  });

  it("on: an erased neighbour's words leave the entries that held them", async () => {
    const store = open(contextualIndexSettings({ previousTurns: 1, followingTurns: 1 }));
    await store.apply(conversation());
    expect(found(store, "zanzibar")).toEqual([1, 3]);
    await store.apply([erased("a")]);
    expect(found(store, "zanzibar")).toEqual([]);
    expect(found(store, "holidays")).toEqual([1, 4]);
    const leftovers = store.db.prepare("SELECT count(*) AS n FROM lexical_session_turns WHERE body LIKE '%zanzibar%'").get() as { n: number };
    expect(leftovers.n).toBe(0);
  });

  it("an index built under other settings reports a stale version, so the runner rebuilds it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memledger-context-"));
    dirs.push(dir);
    const file = join(dir, "lexical.db");
    const first = openSqliteLexicalStore(file, { context: contextualIndexSettings({ previousTurns: 1 }) });
    expect(first.storedProjectionVersion!()).toBe(first.projectionVersion);
    first.close();
    const second = openSqliteLexicalStore(file, { context: contextualIndexSettings({ previousTurns: 2 }) });
    expect(second.storedProjectionVersion!()).not.toBe(second.projectionVersion);
    second.close();
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contentOf, projectionEventLog } from "../src/readModels/graph/projectionEventLog.js";
import { openSqliteLexicalStore, type LexicalStore } from "../src/readModels/lexical/sqliteLexicalStore.js";

// Real engines: SQLite FTS5 on a file, and a worker thread with its own read-only connection to it.
// Issue 17: hybrid search ranks BM25 on that thread while its vector lane runs on the event loop.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const words = ["garden", "river", "coffee", "train", "music", "paper", "window", "autumn", "violin", "harbour", "meadow", "lantern"];
const textOf = (i: number) => `${words[i % 12]} ${words[(i * 5) % 12]} ${words[(i * 7) % 11]} note ${i}`;
const queries = ["garden river", "violin harbour lantern", "coffee", "autumn meadow window paper", "note", "nothing matches this"];

function scratch(): { dir: string; store: LexicalStore } {
  const dir = mkdtempSync(join(tmpdir(), "memledger-ranking-thread-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = openSqliteLexicalStore(join(dir, "lexical-1.db"));
  cleanups.push(() => store.close());
  return { dir, store };
}

describe("BM25 ranked on the lexical store's own thread", () => {
  it("gives the rows, order and scores the event loop's ranking gives, and sees each batch once it is committed", async () => {
    const { store } = scratch();
    const log = projectionEventLog();
    store.apply(Array.from({ length: 300 }, (_, i) => log.created(`m${i}`, contentOf(textOf(i)))));
    for (const query of queries) for (const limit of [1, 10, 100]) expect(await store.searchOnWorker(query, limit)).toEqual(store.search(query, limit));

    store.apply([log.created("late", contentOf("a zeppelin over the harbour"))]);
    const late = log.last.position;
    expect((await store.searchOnWorker("zeppelin", 5)).map((h) => h.contentPosition)).toEqual([late]);
    expect(await store.searchOnWorker("zeppelin harbour", 50)).toEqual(store.search("zeppelin harbour", 50));
  });

  it("an erasure while the thread holds its connection: the log is truncated, no file keeps the erased word, and the thread no longer finds it", async () => {
    const { dir, store } = scratch();
    const log = projectionEventLog();
    store.apply([...Array.from({ length: 50 }, (_, i) => log.created(`m${i}`, contentOf(textOf(i)))), log.created("secret", contentOf("the password is quokkasaurus"))]);
    expect(await store.searchOnWorker("quokkasaurus", 5)).toHaveLength(1);
    // Searches in flight on the thread while the erasure is applied and its write-ahead log purged.
    const during = Array.from({ length: 20 }, () => store.searchOnWorker("garden river quokkasaurus", 100));
    store.apply([log.erased("secret")]);
    await Promise.all(during);

    expect(await store.searchOnWorker("quokkasaurus", 5)).toEqual([]);
    const wal = join(dir, "lexical-1.db-wal");
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    for (const name of readdirSync(dir)) expect(readFileSync(join(dir, name)).includes("quokkasaurus"), name).toBe(false);
  });

  it("after close the thread is gone and ranking fails as on the event loop; an in-memory store ranks on the event loop", async () => {
    const { store } = scratch();
    const log = projectionEventLog();
    store.apply([log.created("m1", contentOf("garden river"))]);
    expect(await store.searchOnWorker("garden", 5)).toHaveLength(1);
    await store.close();
    await expect(store.searchOnWorker("garden", 5)).rejects.toThrow(/not open/);

    const memory = openSqliteLexicalStore(":memory:");
    cleanups.push(() => memory.close());
    memory.apply([projectionEventLog().created("m1", contentOf("garden river"))]);
    expect(await memory.searchOnWorker("garden", 5)).toEqual(memory.search("garden", 5));
  });
});

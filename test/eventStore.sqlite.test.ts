import { Effect } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventStoreContract } from "../src/eventStore/eventStore.contract.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import type { EventStorePort } from "../src/eventStore/eventStorePort.js";

eventStoreContract("embedded SQLite (file, WAL)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "memledger-es-"));
  const path = join(dir, "events.db");
  let store: EventStorePort = openSqliteEventStore({ path, pollIntervalMs: 20 });
  return {
    get store() {
      return store;
    },
    reopen: async () => {
      await Effect.runPromise(store.close());
      store = openSqliteEventStore({ path, pollIntervalMs: 20 });
      return store;
    },
    dispose: async () => {
      await Effect.runPromise(store.close());
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

eventStoreContract("embedded SQLite (in memory)", async () => {
  const store = openSqliteEventStore({ path: ":memory:", pollIntervalMs: 20 });
  return { store, dispose: () => Effect.runPromise(store.close()) };
});

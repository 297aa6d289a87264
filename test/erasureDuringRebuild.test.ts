import { Effect } from "effect";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { KeyRing } from "../src/crypto/keyRing.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { openSqliteGraphStore } from "../src/readModels/graph/sqliteGraphStore.js";
import { startProjectionRunner, type ReadModelDefinition } from "../src/readModels/projectionRunner.js";
import type { ReadModelStore } from "../src/readModels/readModelStore.js";
import { tempLedger } from "./support/tempLedger.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it("hardening #1: waiting for an erasure's purge includes a rebuild under way (its new generation holds the erased names until it folds the erasure); waiting for search consistency does not", async () => {
  const written = await tempLedger({ worker: false });
  cleanups.push(() => rmSync(written.dataDir, { recursive: true, force: true }));
  await written.ledger.cubes.create({ cubeId: "c", name: "c", owner: { kind: "user", id: "bob" } });
  for (let n = 0; n < 3; n += 1) await written.ledger.memories.create({ cubeId: "c", text: `Bob told Quillon Farthingale${n} a secret`, userId: "bob" });
  await written.ledger.subjects.erase("bob");
  await written.ledger.close();

  const eventStore = openSqliteEventStore({ path: join(written.dataDir, "events.db") });
  const keyRing = new KeyRing(openSqliteKeyStore(join(written.dataDir, "keys", "keys.db")));
  cleanups.push(() => Effect.runPromise(eventStore.close()));
  const head = await Effect.runPromise(eventStore.headPosition());

  // The rebuild's new generation folds its first event, then waits here: it is behind the erasure.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const heldGraph: ReadModelDefinition = {
    name: "graph",
    open: async (file) => {
      const store = openSqliteGraphStore(file);
      if (!file.endsWith("graph-2.db")) return store;
      const slow: ReadModelStore = {
        ...store,
        checkpoint: () => store.checkpoint(),
        apply: async (batch) => {
          if (store.checkpoint() > 0) await held;
          store.apply(batch);
        },
      };
      return slow;
    },
  };
  const runner = await startProjectionRunner({ eventStore, keyRing, directory: join(written.dataDir, "readmodels"), definitions: [heldGraph], rebuildBatchSize: 1 });
  cleanups.push(() => runner.stop());
  // Runs first: a failed assertion must not leave the rebuild held while the runner stops.
  cleanups.push(() => release());
  expect(await runner.waitFor(head, 10_000)).toBe(true);

  const rebuilt = runner.rebuild("graph");
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await runner.waitFor(head, 300)).toBe(true);
  expect(await runner.waitFor(head, 300, { includeRebuilds: true })).toBe(false);
  release();
  expect(await runner.waitFor(head, 10_000, { includeRebuilds: true })).toBe(true);
  await rebuilt;
});

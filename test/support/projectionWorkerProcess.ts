/**
 * A projection worker for the crash test: follows the data directory's log
 * into the embedded read models (memory view, lexical, graph). The memory
 * view's batch that contains position <hangAt> is half applied inside its
 * transaction, then the process prints MID-BATCH and spins; the parent kills
 * it with SIGKILL.
 * Usage: vite-node test/support/projectionWorkerProcess.ts <dataDir> <hangAt>
 */
import { writeSync } from "node:fs";
import { join } from "node:path";
import { KeyRing } from "../../src/crypto/keyRing.js";
import { openSqliteEventStore } from "../../src/eventStore/sqliteEventStore.js";
import { openSqliteKeyStore } from "../../src/keyStore/sqliteKeyStore.js";
import { openComplianceStore } from "../../src/readModels/compliance/complianceReadModel.js";
import { openSqliteGraphStore } from "../../src/readModels/graph/sqliteGraphStore.js";
import { openSqliteLexicalStore } from "../../src/readModels/lexical/sqliteLexicalStore.js";
import { openSqliteMemoryViewStore, type MemoryViewStore } from "../../src/readModels/memoryView/sqliteMemoryViewStore.js";
import { startProjectionRunner } from "../../src/readModels/projectionRunner.js";

const [dataDir, hangAtArgument] = process.argv.slice(2);
if (!dataDir || !hangAtArgument) throw new Error("usage: projectionWorkerProcess.ts <dataDir> <hangAt>");
const hangAt = Number(hangAtArgument);

const hangingMemoryView = (file: string): MemoryViewStore => {
  const store = openSqliteMemoryViewStore(file);
  return {
    ...store,
    checkpoint: () => store.checkpoint(),
    apply: (batch) => {
      if (!batch.some((e) => e.envelope.position === hangAt)) return store.apply(batch);
      // An outer transaction around the store's own: the first half is written, uncommitted, when the process dies.
      store.db.transaction(() => {
        store.apply(batch.slice(0, Math.ceil(batch.length / 2)));
        writeSync(1, "MID-BATCH\n");
        for (;;) {
          // Spin: the parent's SIGKILL ends the process inside the transaction.
        }
      })();
    },
  };
};

await startProjectionRunner({
  eventStore: openSqliteEventStore({ path: join(dataDir, "events.db") }),
  keyRing: new KeyRing(openSqliteKeyStore(join(dataDir, "keys", "keys.db"))),
  directory: join(dataDir, "readmodels"),
  batchSize: 50,
  definitions: [
    { name: "memory_view", open: hangingMemoryView },
    { name: "lexical", open: openSqliteLexicalStore },
    { name: "graph", open: openSqliteGraphStore },
    { name: "compliance", open: openComplianceStore },
  ],
});
writeSync(1, "READY\n");

import { Effect } from "effect";
import { describe, it } from "vitest";
import { eventStoreContract } from "../src/eventStore/eventStore.contract.js";
import { openEventStoreDbEventStore, redactUrl } from "../src/eventStore/eventStoreDbEventStore.js";

/**
 * The event-store contract against a live EventStoreDB/KurrentDB server, e.g.
 * `docker compose up -d eventstore` then
 * `EVENTSTORE_URL=esdb://localhost:2113?tls=false npx vitest run test/eventStore.eventstoredb.test.ts`.
 * The contract uses fresh stream names, so a server holding other data is fine.
 * There is no restart test: the server cannot be restarted from inside a test.
 */
const url = process.env.EVENTSTORE_URL;
const skipped = "EventStoreDB contract suite SKIPPED: set EVENTSTORE_URL=esdb://localhost:2113?tls=false to run it";

if (!url) console.warn(skipped);

describe.skipIf(!url)("EventStoreDB/KurrentDB adapter", () => {
  eventStoreContract(`EventStoreDB/KurrentDB at ${redactUrl(url ?? "")}`, async () => {
    const store = openEventStoreDbEventStore({ url: url! });
    return { store, dispose: () => Effect.runPromise(store.close()) };
  });
});

describe("EventStoreDB/KurrentDB adapter availability", () => {
  it.runIf(!url)(skipped, () => {});
  it.runIf(!!url)(`runs the contract suite against ${redactUrl(url ?? "")}`, () => {});
});

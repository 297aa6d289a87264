import { Effect, Either } from "effect";
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { EventMetadata, EventStorePort, NewEvent, RecordedEvent } from "./eventStorePort.js";

/**
 * The one contract every event-store adapter must pass: ordering, optimistic
 * concurrency, idempotency, paging, catch-up + live subscriptions, restart.
 * Tests use fresh stream names and only look at their own streams, so they can
 * run against a shared server that already holds other events.
 */
export interface EventStoreUnderTest {
  readonly store: EventStorePort;
  /** Close and open the same storage again (restart); absent for engines that cannot restart in-test. */
  readonly reopen?: () => Promise<EventStorePort>;
  readonly dispose: () => Promise<void>;
}

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);
const attempt = <A, E>(effect: Effect.Effect<A, E>): Promise<Either.Either<A, E>> => Effect.runPromise(Effect.either(effect));

const metadata = (extra: Partial<EventMetadata> = {}): EventMetadata => ({
  tenantId: "t1",
  actor: "contract-test",
  correlationId: randomUUID(),
  recordedAt: new Date("2026-01-01T00:00:00Z").toISOString(),
  ...extra,
});

const newEvent = (type: string, data: unknown = {}, extra: Partial<EventMetadata> = {}): NewEvent => ({
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  data,
  metadata: metadata(extra),
});

const freshStream = (): string => `contract-${randomUUID()}`;

async function collect(iterator: AsyncIterator<RecordedEvent>, count: number, filter: (e: RecordedEvent) => boolean, timeoutMs = 10_000): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    if (Date.now() > deadline) throw new Error(`subscription delivered ${out.length} of ${count} events in ${timeoutMs} ms`);
    const next = await Promise.race([
      iterator.next(),
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), Math.max(1, deadline - Date.now()))),
    ]);
    if (next === "timeout") continue;
    if (next.done) break;
    if (filter(next.value)) out.push(next.value);
  }
  return out;
}

export function eventStoreContract(adapterName: string, open: () => Promise<EventStoreUnderTest>): void {
  describe(`EventStore contract: ${adapterName}`, () => {
    let current: EventStoreUnderTest | undefined;
    const setUp = async () => (current = await open());
    afterEach(async () => {
      await current?.dispose();
      current = undefined;
    });

    it("appends to a new stream and reads it back in order with revisions from 0", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      const events = [newEvent("A", { n: 1 }), newEvent("B", { n: 2 }), newEvent("C", { n: 3 })];
      const result = await run(store.append(stream, events, "no_stream"));
      expect(result.nextExpectedRevision).toBe(2);
      expect(result.alreadyApplied).toBe(false);
      const read = await run(store.readStream(stream));
      expect(read.map((e) => e.type)).toEqual(["A", "B", "C"]);
      expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
      expect(read.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
      expect(read[1]?.data).toEqual({ n: 2 });
      expect(read[0]?.streamId).toBe(stream);
      expect(read[0]!.position).toBeLessThan(read[1]!.position);
      expect(read[1]!.position).toBeLessThan(read[2]!.position);
      expect(result.position).toBe(read[2]!.position);
      expect(await run(store.streamRevision(stream))).toBe(2);
    });

    it("keeps the whole envelope: metadata and schema version round-trip", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      const event: NewEvent = {
        ...newEvent("Enveloped", { text: "naïve 中文 ✓" }, { cubeId: "c1", reason: "because", causationId: "cause-1", subjectId: "s1", keyId: "k1", commandId: "cmd-1" }),
        schemaVersion: 3,
      };
      await run(store.append(stream, [event], "any"));
      const [read] = await run(store.readStream(stream));
      expect(read?.schemaVersion).toBe(3);
      expect(read?.metadata).toEqual(event.metadata);
      expect(read?.data).toEqual({ text: "naïve 中文 ✓" });
    });

    it("rejects an append whose expected revision is stale, and writes nothing", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      await run(store.append(stream, [newEvent("A"), newEvent("B")], "no_stream"));
      const stale = await attempt(store.append(stream, [newEvent("C")], 0));
      expect(Either.isLeft(stale) && stale.left._tag).toBe("ConcurrencyConflict");
      const exists = await attempt(store.append(stream, [newEvent("C")], "no_stream"));
      expect(Either.isLeft(exists) && exists.left._tag).toBe("ConcurrencyConflict");
      const missing = await attempt(store.append(freshStream(), [newEvent("C")], "stream_exists"));
      expect(Either.isLeft(missing) && missing.left._tag).toBe("ConcurrencyConflict");
      const ahead = await attempt(store.append(stream, [newEvent("C")], 7));
      expect(Either.isLeft(ahead) && ahead.left._tag).toBe("ConcurrencyConflict");
      expect((await run(store.readStream(stream))).length).toBe(2);
      const ok = await run(store.append(stream, [newEvent("C")], 1));
      expect(ok.nextExpectedRevision).toBe(2);
      const any = await run(store.append(stream, [newEvent("D")], "any"));
      expect(any.nextExpectedRevision).toBe(3);
      const exact = await run(store.append(stream, [newEvent("E")], "stream_exists"));
      expect(exact.nextExpectedRevision).toBe(4);
    });

    it("lets exactly one of two racing writers with the same expectation win", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      await run(store.append(stream, [newEvent("A")], "no_stream"));
      const results = await Promise.all([attempt(store.append(stream, [newEvent("B1")], 0)), attempt(store.append(stream, [newEvent("B2")], 0))]);
      expect(results.filter(Either.isRight).length).toBe(1);
      expect(results.filter(Either.isLeft).length).toBe(1);
      expect((await run(store.readStream(stream))).length).toBe(2);
    });

    it("treats a retried append with the same event ids as a no-op, not a duplicate", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      const batch = [newEvent("A"), newEvent("B")];
      const first = await run(store.append(stream, batch, "no_stream"));
      const retry = await run(store.append(stream, batch, "no_stream"));
      expect(retry.alreadyApplied).toBe(true);
      expect(retry.nextExpectedRevision).toBe(first.nextExpectedRevision);
      expect((await run(store.readStream(stream))).length).toBe(2);
      await run(store.append(stream, [newEvent("C")], 1));
      const lateRetry = await run(store.append(stream, batch, 0));
      expect(lateRetry.alreadyApplied).toBe(true);
      expect((await run(store.readStream(stream))).map((e) => e.type)).toEqual(["A", "B", "C"]);
    });

    it("refuses a batch that reuses a stored event id next to new ones", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      const a = newEvent("A");
      await run(store.append(stream, [a], "no_stream"));
      const mixed = await attempt(store.append(stream, [newEvent("B"), a], "any"));
      expect(Either.isLeft(mixed)).toBe(true);
      expect((await run(store.readStream(stream))).map((e) => e.type)).toEqual(["A"]);
    });

    it("reads a stream backward, from a revision, and in pages", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      await run(store.append(stream, Array.from({ length: 10 }, (_, i) => newEvent(`E${i}`)), "no_stream"));
      const backward = await run(store.readStream(stream, { direction: "backward", maxCount: 3 }));
      expect(backward.map((e) => e.revision)).toEqual([9, 8, 7]);
      const middle = await run(store.readStream(stream, { fromRevision: 4, maxCount: 2 }));
      expect(middle.map((e) => e.revision)).toEqual([4, 5]);
      const backFrom = await run(store.readStream(stream, { direction: "backward", fromRevision: 2 }));
      expect(backFrom.map((e) => e.revision)).toEqual([2, 1, 0]);
      const pages: number[] = [];
      for (let from = 0; ; ) {
        const page = await run(store.readStream(stream, { fromRevision: from, maxCount: 4 }));
        if (page.length === 0) break;
        pages.push(page.length);
        from = page[page.length - 1]!.revision + 1;
      }
      expect(pages).toEqual([4, 4, 2]);
    });

    it("fails with StreamNotFound for a stream that has no events", async () => {
      const { store } = await setUp();
      const missing = await attempt(store.readStream(freshStream()));
      expect(Either.isLeft(missing) && missing.left._tag).toBe("StreamNotFound");
      expect(await run(store.streamRevision(freshStream()))).toBeUndefined();
    });

    it("reads the global log after a position, across streams, in commit order and in pages", async () => {
      const { store } = await setUp();
      const before = await run(store.headPosition());
      const s1 = freshStream();
      const s2 = freshStream();
      await run(store.append(s1, [newEvent("X1")], "no_stream"));
      await run(store.append(s2, [newEvent("Y1"), newEvent("Y2")], "no_stream"));
      await run(store.append(s1, [newEvent("X2")], 0));
      const ours = (events: readonly RecordedEvent[]) => events.filter((e) => e.streamId === s1 || e.streamId === s2);
      const all = ours(await run(store.readAll({ after: before, maxCount: 10_000 })));
      expect(all.map((e) => e.type)).toEqual(["X1", "Y1", "Y2", "X2"]);
      const positions = all.map((e) => e.position);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(await run(store.headPosition())).toBeGreaterThanOrEqual(all[3]!.position);
      const seen: RecordedEvent[] = [];
      let after = before;
      for (;;) {
        const page = await run(store.readAll({ after, maxCount: 1 }));
        if (page.length === 0) break;
        seen.push(...page);
        after = page[page.length - 1]!.position;
      }
      expect(ours(seen).map((e) => e.type)).toEqual(["X1", "Y1", "Y2", "X2"]);
    });

    it("subscribes from a checkpoint: catches up on stored events, then delivers live ones in order", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      const checkpoint = await run(store.headPosition());
      await run(store.append(stream, [newEvent("Old1"), newEvent("Old2")], "no_stream"));
      const subscription = await run(store.subscribeToAll({ after: checkpoint }));
      const iterator = subscription[Symbol.asyncIterator]();
      const mine = (e: RecordedEvent) => e.streamId === stream;
      const caughtUp = await collect(iterator, 2, mine);
      expect(caughtUp.map((e) => e.type)).toEqual(["Old1", "Old2"]);
      await run(store.append(stream, [newEvent("Live1")], 1));
      await run(store.append(stream, [newEvent("Live2")], 2));
      const live = await collect(iterator, 2, mine);
      expect(live.map((e) => e.type)).toEqual(["Live1", "Live2"]);
      await subscription.close();
    });

    it("resumes a subscription after its last checkpoint without repeating or skipping", async () => {
      const { store } = await setUp();
      const stream = freshStream();
      const start = await run(store.headPosition());
      await run(store.append(stream, [newEvent("A"), newEvent("B"), newEvent("C")], "no_stream"));
      const first = await run(store.subscribeToAll({ after: start }));
      const [a] = await collect(first[Symbol.asyncIterator](), 1, (e) => e.streamId === stream);
      await first.close();
      const second = await run(store.subscribeToAll({ after: a!.position }));
      const rest = await collect(second[Symbol.asyncIterator](), 2, (e) => e.streamId === stream);
      expect(rest.map((e) => e.type)).toEqual(["B", "C"]);
      await second.close();
    });

    it("answers a health check with its head, for readiness", async () => {
      const { store } = await setUp();
      const appended = await run(store.append(freshStream(), [newEvent("A")], "no_stream"));
      const detail = await run(store.health());
      const head = Number(/^head at position (\d+)$/.exec(detail)?.[1]);
      expect(head).toBeGreaterThanOrEqual(appended.position);
    });

    it("keeps every acknowledged event across a restart", async () => {
      const underTest = await setUp();
      if (!underTest.reopen) return;
      const stream = freshStream();
      await run(underTest.store.append(stream, [newEvent("A"), newEvent("B")], "no_stream"));
      const reopened = await underTest.reopen();
      const read = await run(reopened.readStream(stream));
      expect(read.map((e) => e.type)).toEqual(["A", "B"]);
      const next = await run(reopened.append(stream, [newEvent("C")], 1));
      expect(next.nextExpectedRevision).toBe(2);
    });
  });
}

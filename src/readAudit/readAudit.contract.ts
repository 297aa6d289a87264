import { afterEach, describe, expect, it } from "vitest";
import type { ReadAuditLog, ReadRecord } from "./readAuditPort.js";

/**
 * The one contract every read-audit adapter passes: what is recorded is found
 * by memory and by principal, bounded by time and paged, kept per tenant,
 * and survives a restart once flushed.
 */
export interface ReadAuditUnderTest {
  /** Opens the log over the suite's storage; a second call is a restart. */
  open(): Promise<ReadAuditLog>;
  dispose(): Promise<void>;
}

const record = (over: Partial<ReadRecord>): ReadRecord => ({
  at: "2026-03-01T09:00:00.000Z",
  tenantId: "acme",
  principalId: "alice",
  action: "memory.get",
  queryFingerprint: "f".repeat(64),
  cubeIds: ["c1"],
  memoryIds: [],
  ...over,
});

export function readAuditContract(name: string, setup: () => Promise<ReadAuditUnderTest>): void {
  describe(`read audit contract: ${name}`, () => {
    let subject: ReadAuditUnderTest | undefined;
    const logs: ReadAuditLog[] = [];
    const open = async () => {
      subject ??= await setup();
      const log = await subject.open();
      logs.push(log);
      return log;
    };
    afterEach(async () => {
      for (const log of logs.splice(0)) await log.close();
      await subject?.dispose();
      subject = undefined;
    });

    it("finds who read a memory and what a principal read, in order, within one tenant", async () => {
      const log = await open();
      log.record(record({ principalId: "alice", memoryIds: ["m1", "m2"], at: "2026-03-01T09:00:00.000Z" }));
      log.record(record({ principalId: "bob", action: "search", memoryIds: ["m2"], at: "2026-03-01T10:00:00.000Z" }));
      log.record(record({ principalId: "bob", tenantId: "other", memoryIds: ["m2"], at: "2026-03-01T11:00:00.000Z" }));
      log.record(record({ principalId: "bob", action: "search", memoryIds: [], at: "2026-03-01T12:00:00.000Z" }));
      const readers = await log.whoRead("m2", { tenantId: "acme" });
      expect(readers.map((r) => [r.principalId, r.action])).toEqual([["alice", "memory.get"], ["bob", "search"]]);
      expect((await log.whoRead("m1", { tenantId: "acme" })).map((r) => r.memoryIds)).toEqual([["m1", "m2"]]);
      expect((await log.readsBy("bob", { tenantId: "acme" })).map((r) => r.memoryIds)).toEqual([["m2"], []]);
      expect(await log.whoRead("m2", { tenantId: "nobody" })).toEqual([]);
    });

    it("bounds by time and pages by sequence", async () => {
      const log = await open();
      for (let h = 0; h < 10; h += 1) log.record(record({ memoryIds: ["m"], at: `2026-03-01T${String(h).padStart(2, "0")}:00:00.000Z` }));
      const window = await log.readsBy("alice", { tenantId: "acme", from: "2026-03-01T03:00:00.000Z", to: "2026-03-01T05:00:00.000Z" });
      expect(window.map((r) => r.at.slice(11, 13))).toEqual(["03", "04", "05"]);
      const first = await log.whoRead("m", { tenantId: "acme", limit: 4 });
      const next = await log.whoRead("m", { tenantId: "acme", limit: 4, after: first[first.length - 1]!.seq });
      expect(first.length).toBe(4);
      expect(next.map((r) => r.at.slice(11, 13))).toEqual(["04", "05", "06", "07"]);
    });

    it("keeps what was flushed across a restart", async () => {
      const log = await open();
      log.record(record({ principalId: "carol", memoryIds: ["m9"], onBehalfOf: "dave", requestId: "req-1" }));
      await log.flush();
      await log.close();
      logs.splice(0);
      const reopened = await open();
      expect(await reopened.whoRead("m9", { tenantId: "acme" })).toMatchObject([{ principalId: "carol", onBehalfOf: "dave", requestId: "req-1" }]);
    });
  });
}

import { Effect, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../src/command/commandContext.js";
import { memLedgerLayer } from "../src/app/memLedger.js";
import { ManualClock } from "../src/clock/clock.js";
import { CubeService } from "../src/cube/cubeService.js";
import { SubjectErasure } from "../src/erasure/subjectErasure.js";
import { MemoryService } from "../src/memory/memoryService.js";

const tenantA: CommandContext = { tenantId: "tenant-a", actor: "dpo:a" };
const tenantB: CommandContext = { tenantId: "tenant-b", actor: "dpo:b" };
const owner = { kind: "user", id: "alice" } as const;

describe("subject erasure is scoped to the tenant that asks", () => {
  let dataDir: string;
  let runtime: ManagedRuntime.ManagedRuntime<CubeService | MemoryService | SubjectErasure, unknown>;
  const on = <S, A, E>(tag: Effect.Effect<S, never, CubeService | MemoryService | SubjectErasure>, f: (s: S) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(tag, f));
  let unitA: string;
  let unitB: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-erasure-tenant-"));
    runtime = ManagedRuntime.make(memLedgerLayer({ dataDir, clock: new ManualClock(new Date("2026-03-01T09:00:00.000Z")), worker: false })) as typeof runtime;
    await on(CubeService, (s) => s.create({ cubeId: "a-cube", name: "A", owner }, tenantA));
    await on(CubeService, (s) => s.create({ cubeId: "b-cube", name: "B", owner }, tenantB));
    unitA = (await on(MemoryService, (s) => s.create({ cubeId: "a-cube", text: "alice told A a secret", subjectId: "alice" }, tenantA))).memoryId;
    unitB = (await on(MemoryService, (s) => s.create({ cubeId: "b-cube", text: "alice told B a secret", subjectId: "alice" }, tenantB))).memoryId;
  });
  afterEach(async () => {
    await runtime.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("erasing alice in tenant A leaves tenant B's unit of alice readable", async () => {
    const certificate = await on(SubjectErasure, (s) => s.erase("alice", tenantA));
    expect(certificate.erasedMemoryIds).toEqual([unitA]);
    expect(certificate.destroyedKeyIds).toHaveLength(1);
    const a = await on(MemoryService, (s) => s.get(unitA));
    expect(a.status).toBe("erased");
    expect(a.content).toBeNull();
    const b = await on(MemoryService, (s) => s.get(unitB));
    expect(b.status).toBe("activated");
    expect(b.content?.text).toBe("alice told B a secret");
  });

  it("each tenant sees only the certificates its own erasures wrote", async () => {
    const first = await on(SubjectErasure, (s) => s.erase("alice", tenantA));
    expect(await on(SubjectErasure, (s) => s.certificates("alice", "tenant-a"))).toEqual([first]);
    expect(await on(SubjectErasure, (s) => s.certificates("alice", "tenant-b"))).toEqual([]);
    const second = await on(SubjectErasure, (s) => s.erase("alice", tenantB));
    expect(second.erasedMemoryIds).toEqual([unitB]);
    expect(await on(SubjectErasure, (s) => s.certificates("alice", "tenant-a"))).toEqual([first]);
    expect(await on(SubjectErasure, (s) => s.certificates("alice", "tenant-b"))).toEqual([second]);
  });

  it("a retried erasure finds its certificate only in its own tenant", async () => {
    const first = await on(SubjectErasure, (s) => s.erase("alice", { ...tenantA, commandId: "same-key" }));
    // Tenant B reusing the same command id is a different request: it erases B's unit instead of answering A's certificate.
    const other = await on(SubjectErasure, (s) => s.erase("alice", { ...tenantB, commandId: "same-key" }));
    expect(other.eventId).not.toBe(first.eventId);
    expect(other.erasedMemoryIds).toEqual([unitB]);
    expect(await on(SubjectErasure, (s) => s.erase("alice", { ...tenantA, commandId: "same-key" }))).toEqual(first);
  });
});

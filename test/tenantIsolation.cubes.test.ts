import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect, ManagedRuntime } from "effect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../src/command/commandContext.js";
import { memLedgerLayer } from "../src/app/memLedger.js";
import { ManualClock } from "../src/clock/clock.js";
import { CubeService } from "../src/cube/cubeService.js";
import { cubeTenantReader } from "../src/tenancy/cubeTenant.js";
import { EventStore, type EventStorePort, type ReadStreamOptions } from "../src/eventStore/eventStorePort.js";
import { MemoryService } from "../src/memory/memoryService.js";

const acme: CommandContext = { tenantId: "acme", actor: "agent:a" };
const globex: CommandContext = { tenantId: "globex", actor: "agent:g" };
const owner = { kind: "project", id: "p" } as const;

describe("tenant isolation of cubes: another tenant's cube answers as a missing one", () => {
  let dataDir: string;
  let clock: ManualClock;
  let runtime: ManagedRuntime.ManagedRuntime<CubeService | MemoryService | EventStore, unknown>;
  const cubes = <A, E>(f: (s: (typeof CubeService)["Service"]) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(CubeService, f));
  const memories = <A, E>(f: (s: (typeof MemoryService)["Service"]) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(MemoryService, f));
  const failure = <A, E>(effect: Effect.Effect<A, E, CubeService | MemoryService>) => runtime.runPromise(Effect.flip(effect));

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-tenant-"));
    clock = new ManualClock(new Date("2026-03-01T09:00:00.000Z"));
    runtime = ManagedRuntime.make(memLedgerLayer({ dataDir, clock, worker: false })) as typeof runtime;
    await cubes((s) => s.create({ cubeId: "acme-notes", name: "Acme notes", owner }, acme));
  });
  afterEach(async () => {
    await runtime.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a cube view names the tenant it was created in, and tenantOf answers it (undefined for no cube)", async () => {
    expect((await cubes((s) => s.get("acme-notes"))).tenantId).toBe("acme");
    expect((await cubes((s) => s.list("acme"))).map((c) => c.tenantId)).toEqual(["acme"]);
    expect(await cubes((s) => s.tenantOf("acme-notes"))).toBe("acme");
    expect(await cubes((s) => s.tenantOf("nowhere"))).toBeUndefined();
  });

  it("tenantOf reads only the cube's first event, once", async () => {
    await memories((s) => s.create({ cubeId: "acme-notes", text: "one" }, acme));
    await memories((s) => s.create({ cubeId: "acme-notes", text: "two" }, acme));
    const store = await runtime.runPromise(EventStore);
    const reads: { streamId: string; options?: ReadStreamOptions }[] = [];
    const counting: EventStorePort = { ...store, readStream: (streamId, options) => (reads.push({ streamId, ...(options ? { options } : {}) }), store.readStream(streamId, options)) };
    const tenantOf = cubeTenantReader(counting);
    expect(await Effect.runPromise(tenantOf("acme-notes"))).toBe("acme");
    expect(await Effect.runPromise(tenantOf("acme-notes"))).toBe("acme");
    expect(reads).toEqual([{ streamId: "cube-acme-notes", options: { maxCount: 1 } }]);
  });

  it("creating a unit in another tenant's cube fails exactly as for a missing cube, and registers nothing", async () => {
    const foreign = await failure(MemoryService.pipe(Effect.flatMap((s) => s.create({ cubeId: "acme-notes", text: "intruder" }, globex))));
    const missing = await failure(MemoryService.pipe(Effect.flatMap((s) => s.create({ cubeId: "no-such-cube", text: "x" }, globex))));
    expect(foreign).toMatchObject({ _tag: "CubeNotFound", cubeId: "acme-notes" });
    expect(foreign.message).toBe(missing.message.replace("no-such-cube", "acme-notes"));
    const cube = await cubes((s) => s.get("acme-notes"));
    expect(cube.memoryCount).toBe(0);
    await memories((s) => s.create({ cubeId: "acme-notes", text: "owner writes" }, acme));
    expect((await cubes((s) => s.get("acme-notes"))).memoryCount).toBe(1);
  });

  it("get and listMemories with a tenant, rollback and branch with a ctx: another tenant's cube is CubeNotFound", async () => {
    await memories((s) => s.create({ cubeId: "acme-notes", text: "one" }, acme));
    const t = clock.now().toISOString();
    clock.advance(1000);
    const tags = await Promise.all([
      failure(CubeService.pipe(Effect.flatMap((s) => s.get("acme-notes", "globex")))),
      failure(CubeService.pipe(Effect.flatMap((s) => s.listMemories("acme-notes", {}, "globex")))),
      failure(CubeService.pipe(Effect.flatMap((s) => s.rollback("acme-notes", t, globex)))),
      failure(CubeService.pipe(Effect.flatMap((s) => s.branch("acme-notes", t, { cubeId: "stolen" }, globex)))),
    ]);
    for (const error of tags) expect(error).toMatchObject({ _tag: "CubeNotFound", cubeId: "acme-notes" });
    expect(await cubes((s) => s.tenantOf("stolen"))).toBeUndefined();
    expect((await cubes((s) => s.get("acme-notes"))).rollbacks).toBe(0);
    // The owner still can.
    expect((await cubes((s) => s.listMemories("acme-notes", {}, "acme"))).map((m) => m.content?.text)).toEqual(["one"]);
    expect((await cubes((s) => s.branch("acme-notes", t, { cubeId: "acme-branch" }, acme))).cube.tenantId).toBe("acme");
  });

  it("a tenant that tried to take an existing cube id does not list the other tenant's cube", async () => {
    expect(await failure(CubeService.pipe(Effect.flatMap((s) => s.create({ cubeId: "acme-notes", name: "mine", owner }, globex))))).toMatchObject({ _tag: "CubeAlreadyExists" });
    expect(await cubes((s) => s.list("globex"))).toEqual([]);
  });
});

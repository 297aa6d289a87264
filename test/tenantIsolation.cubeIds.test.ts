import { Effect, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandContext } from "../src/command/commandContext.js";
import { memLedgerLayer } from "../src/app/memLedger.js";
import { ManualClock } from "../src/clock/clock.js";
import { CubeService } from "../src/cube/cubeService.js";
import { EventStore } from "../src/eventStore/eventStorePort.js";
import { cubeRegistryStreamId } from "../domain/cube/cubeEvents.js";

const ctx: CommandContext = { tenantId: "default", actor: "agent:a" };
const owner = { kind: "project", id: "p" } as const;

describe("cube ids that would name a system stream are refused", () => {
  let dataDir: string;
  let runtime: ManagedRuntime.ManagedRuntime<CubeService | EventStore, unknown>;
  const cubes = <A, E>(f: (s: (typeof CubeService)["Service"]) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flatMap(CubeService, f));
  const failure = <A, E>(f: (s: (typeof CubeService)["Service"]) => Effect.Effect<A, E>) => runtime.runPromise(Effect.flip(Effect.flatMap(CubeService, f)));
  const registry = (tenantId: string) =>
    runtime.runPromise(Effect.flatMap(EventStore, (s) => s.readStream(cubeRegistryStreamId(tenantId)).pipe(Effect.catchTag("StreamNotFound", () => Effect.succeed([])))));

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "memledger-cubeid-"));
    runtime = ManagedRuntime.make(memLedgerLayer({ dataDir, clock: new ManualClock(new Date("2026-03-01T09:00:00.000Z")), worker: false })) as typeof runtime;
    await cubes((s) => s.create({ cubeId: "notes", name: "Notes", owner }, ctx));
  });
  afterEach(async () => {
    await runtime.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("creating cube registry-default is refused and tenant default's registry is unchanged", async () => {
    const before = await registry("default");
    const error = await failure((s) => s.create({ cubeId: "registry-default", name: "collides", owner }, ctx));
    expect(error).toMatchObject({ _tag: "InvalidRequest", field: "cubeId" });
    expect(error.message).toContain('must not start with "registry-"');
    expect(error.message).toContain("omit it");
    expect(await registry("default")).toEqual(before);
    expect((await cubes((s) => s.list("default"))).map((c) => c.cubeId)).toEqual(["notes"]);
    expect(await cubes((s) => s.tenantOf("registry-default"))).toBeUndefined();
  });

  it("a branch target named registry-<tenant> is refused the same way, before anything is written", async () => {
    const t = "2026-03-01T09:00:00.000Z";
    const before = await registry("acme");
    const error = await failure((s) => s.branch("notes", t, { cubeId: "registry-acme" }, ctx));
    expect(error).toMatchObject({ _tag: "InvalidRequest", field: "cubeId" });
    expect(await registry("acme")).toEqual(before);
    expect((await cubes((s) => s.get("notes"))).branches).toEqual([]);
  });

  it("cube ids that are not printable are refused", async () => {
    for (const cubeId of ["tab\there", "line\nbreak", "nul\u0000", "bell\u0007", "", "é"]) {
      expect(await failure((s) => s.create({ cubeId, name: "x", owner }, ctx))).toMatchObject({ _tag: "InvalidRequest", field: "cubeId" });
    }
    expect((await cubes((s) => s.list("default"))).map((c) => c.cubeId)).toEqual(["notes"]);
  });
});

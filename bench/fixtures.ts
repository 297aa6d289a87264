import { cpSync } from "node:fs";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import type { Durability } from "../src/eventStore/sqliteEventStore.js";
import { tempDir } from "./payload.js";
import { nowMs } from "./stats.js";

/**
 * A data directory holding units of a known length, built once through the
 * library API and copied for each benchmark that writes to it.
 */
export interface Fixture {
  readonly dir: string;
  readonly cubeId: string;
  /** Units with exactly 10 events (revision 9). */
  readonly small: readonly string[];
  /** Units with exactly `largeEvents` events. */
  readonly large: readonly string[];
  readonly largeEvents: number;
  /** Units the benchmarks may use to warm the JIT before timing. */
  readonly warmup: readonly string[];
  readonly seconds: number;
}

export interface FixtureOptions {
  readonly smallUnits: number;
  readonly largeUnits: number;
  readonly largeEvents: number;
  readonly warmupUnits: number;
}

export const benchContext = { tenantId: "tenant-bench", actor: "agent:bench" } as const;

/** Realistic, distinct text for the n-th edit of a unit (~170 characters). */
export function editText(memoryId: string, n: number): string {
  return `User prefers concise answers with TypeScript samples; edit ${n} of ${memoryId.slice(-12)} notes the billing-service context, timezone Europe/Berlin, no meetings before 10:00.`;
}

/** Creates a unit (create + activate = 2 events) and edits it until it holds `events` events. */
async function unitWithEvents(ledger: MemLedger, cubeId: string, events: number): Promise<string> {
  const created = await ledger.memories.create(
    { cubeId, text: editText("new-unit", 0), tags: ["preference", "work"], userId: "user-bench", metadata: { source: "bench" } },
    benchContext,
  );
  let revision = created.revision;
  while (revision < events - 1) {
    const view = await ledger.memories.edit(created.memoryId, { content: { text: editText(created.memoryId, revision + 1) } }, benchContext);
    revision = view.revision;
  }
  if (revision !== events - 1) throw new Error(`unit ${created.memoryId} has ${revision + 1} events, wanted ${events}`);
  return created.memoryId;
}

/** Built with durability "normal" (only the build is faster; the file format is the same). */
export async function prepareFixture(options: FixtureOptions, log: (line: string) => void = console.log): Promise<Fixture> {
  const started = nowMs();
  const dir = tempDir("fixture");
  const ledger = await openMemLedger({ dataDir: dir, eventStore: { kind: "sqlite", durability: "normal" } });
  try {
    const cube = await ledger.cubes.create({ name: "bench", owner: { kind: "agent", id: "agent:bench" } }, benchContext);
    const warmup: string[] = [];
    for (let i = 0; i < options.warmupUnits; i += 1) warmup.push(await unitWithEvents(ledger, cube.cubeId, 10));
    const small: string[] = [];
    for (let i = 0; i < options.smallUnits; i += 1) small.push(await unitWithEvents(ledger, cube.cubeId, 10));
    const large: string[] = [];
    for (let i = 0; i < options.largeUnits; i += 1) {
      large.push(await unitWithEvents(ledger, cube.cubeId, options.largeEvents));
      log(`  fixture: ${i + 1}/${options.largeUnits} units of ${options.largeEvents} events`);
    }
    const seconds = (nowMs() - started) / 1000;
    return { dir, cubeId: cube.cubeId, small, large, largeEvents: options.largeEvents, warmup, seconds };
  } finally {
    await ledger.close();
  }
}

/** A private copy of the fixture's data directory (the ledger must be closed). */
export function copyFixture(fixture: Fixture, label: string): string {
  const dir = tempDir(label);
  cpSync(fixture.dir, dir, { recursive: true });
  return dir;
}

export function openOn(dir: string, durability: Durability): Promise<MemLedger> {
  return openMemLedger({ dataDir: dir, eventStore: { kind: "sqlite", durability } });
}

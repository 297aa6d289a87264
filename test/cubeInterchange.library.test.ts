import { afterEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import type { CommandContext } from "../src/command/commandContext.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/**
 * Portable MemCubes between two data directories (docs/interchange.md): the
 * target ends with the same units, versions and histories as the source, the
 * provenance of each event kept beside the importer's, and its log verifies.
 */
type Temp = Awaited<ReturnType<typeof tempLedger>>;
const opened: Temp[] = [];
const open = async () => {
  const t = await tempLedger();
  opened.push(t);
  return t;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.dispose()));
});

const alice: CommandContext = { tenantId: "default", actor: "principal:alice", reason: "remember" };
const importer: CommandContext = { tenantId: "default", actor: "principal:ivan" };

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

/** A cube with an edited, an archived, a merged, a reverted and an erased unit. */
async function sourceCube(ledger: MemLedger, clock: Temp["clock"]) {
  await ledger.cubes.create({ cubeId: "travel", name: "Travel", owner: { kind: "user", id: "alice" } }, alice);
  const a = await ledger.memories.create({ cubeId: "travel", text: "Alice prefers aisle seats", userId: "alice", tags: ["flights"], sources: [{ kind: "message", ref: "msg-1" }] }, alice);
  clock.advance(1_000);
  await ledger.memories.edit(a.memoryId, { content: { text: "Alice prefers window seats" } }, alice);
  await ledger.memories.edit(a.memoryId, { content: { text: "Alice prefers window seats on long flights" } }, alice);
  await ledger.memories.revert(a.memoryId, 2, alice);
  const b = await ledger.memories.create({ cubeId: "travel", text: "Alice flies to Lisbon in May", userId: "alice", eventTime: "2026-05-02T10:00:00.000Z" }, alice);
  await ledger.memories.archive(b.memoryId, alice);
  const c = await ledger.memories.create({ cubeId: "travel", text: "Alice: window seat", userId: "alice" }, alice);
  await ledger.memories.merge(c.memoryId, a.memoryId, alice);
  const d = await ledger.memories.create({ cubeId: "travel", text: "Alice's passport number is X123", subjectId: "alice-passport" }, alice);
  await ledger.memories.erase(d.memoryId, alice);
  return { a: a.memoryId, b: b.memoryId, c: c.memoryId, erased: d.memoryId, all: [a.memoryId, b.memoryId, c.memoryId, d.memoryId] };
}

/** What must be equal across instances: everything but who wrote it here and when (kept in importedFrom). */
const portable = (view: Record<string, unknown>) => {
  const { createdAt: _1, createdBy: _2, updatedAt: _3, updatedBy: _4, position: _5, subjectId: _6, ...rest } = view;
  return rest;
};

describe("cube export and import between two data directories (library)", () => {
  it("round trip: same units, versions and histories; provenance kept in importedFrom; the target's log verifies", async () => {
    const source = await open();
    const units = await sourceCube(source.ledger, source.clock);
    const lines = await collect(await source.ledger.interchange.exportCube("travel"));
    expect(JSON.parse(lines[0]!)).toMatchObject({ kind: "manifest", format: "memledger-cube/1", cubeId: "travel" });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ kind: "trailer", units: 4 });

    const target = await open();
    target.clock.advance(86_400_000);
    const progress: number[] = [];
    const report = await target.ledger.interchange.importCube(lines, { progressEvery: 2, onProgress: (p) => progress.push(p.units) }, importer);
    expect(report).toMatchObject({ cubeId: "travel", remapped: [], units: { imported: 4, alreadyPresent: 0, diverged: [] } });
    expect(progress).toEqual([2, 4]);

    for (const memoryId of units.all) {
      const there = await source.ledger.memories.get(memoryId);
      const here = await target.ledger.memories.get(memoryId);
      expect(portable(here as unknown as Record<string, unknown>)).toEqual(portable(there as unknown as Record<string, unknown>));
      expect(here.createdBy).toBe("principal:ivan");
      const [before, after] = [await source.ledger.memories.history(memoryId), await target.ledger.memories.history(memoryId)];
      expect(after.map((e) => [e.revision, e.type, e.statusAfter, e.versionAfter])).toEqual(before.map((e) => [e.revision, e.type, e.statusAfter, e.versionAfter]));
      // The importer is the actor; the source's actor, time and ids travel in importedFrom.
      for (const [i, entry] of after.entries()) {
        expect(entry.actor).toBe("principal:ivan");
        expect(entry.importedFrom).toMatchObject({ actor: before[i]!.actor, recordedAt: before[i]!.recordedAt, eventId: before[i]!.eventId, memoryId, cubeId: "travel" });
      }
    }
    expect((await target.ledger.memories.get(units.a)).content?.text).toBe("Alice prefers window seats");
    expect((await target.ledger.memories.get(units.c)).successorId).toBe(units.a);
    const cube = await target.ledger.cubes.get("travel");
    expect(cube).toMatchObject({ name: "Travel", owner: { kind: "user", id: "alice" }, memoryCount: 4 });
    // Re-sealed with the target's own keys, and the target's subject erasure reaches the imported units.
    expect((await target.ledger.tamperEvidence.verify()).ok).toBe(true);
    await target.ledger.subjects.erase("alice", importer);
    expect((await target.ledger.memories.get(units.b)).content).toBeNull();
    expect((await source.ledger.memories.get(units.b)).content?.text).toBe("Alice flies to Lisbon in May");
  });

  it("which model and prompt decided a change travels with it: the export carries automation, the import keeps it in importedFrom", async () => {
    const source = await open();
    await source.ledger.cubes.create({ cubeId: "notes", name: "Notes", owner: { kind: "user", id: "alice" } }, alice);
    const automation = { component: "memreader", model: "gpt-test", prompt: "memreader.extract@3", jobId: "job-1" };
    const unit = await source.ledger.memories.create({ cubeId: "notes", text: "Alice moved to Porto" }, { ...alice, automation });
    const lines = await collect(await source.ledger.interchange.exportCube("notes"));
    const exported = lines.map((line) => JSON.parse(line) as { kind: string; events?: { metadata: Record<string, unknown> }[] }).find((r) => r.kind === "unit");
    expect(exported?.events?.[0]?.metadata.automation).toEqual(automation);

    const target = await open();
    await target.ledger.interchange.importCube(lines, {}, importer);
    const [created] = await target.ledger.memories.history(unit.memoryId);
    expect(created!.importedFrom).toMatchObject({ automation });
  });

  it("an erased unit travels as a skeleton: its events, no content, no subject, no key id", async () => {
    const source = await open();
    const units = await sourceCube(source.ledger, source.clock);
    const lines = await collect(await source.ledger.interchange.exportCube("travel"));
    const skeleton = lines.map((l) => JSON.parse(l)).find((r) => r.memoryId === units.erased);
    expect(skeleton.erased).toBe(true);
    expect(skeleton.events.map((e: { type: string }) => e.type)).toEqual(["MemoryCreated", "MemoryActivated", "MemoryErased"]);
    expect(JSON.stringify(skeleton)).not.toContain("passport");
    expect(JSON.stringify(skeleton)).not.toContain("alice-passport");
    expect(skeleton.events.every((e: { data: { content?: unknown; keyId?: unknown } }) => !("keyId" in e.data) && (e.data.content ?? null) === null)).toBe(true);
    const target = await open();
    await target.ledger.interchange.importCube(lines, {}, importer);
    expect(await target.ledger.memories.get(units.erased)).toMatchObject({ status: "erased", content: null });
  });

  it("grants travel when asked, for the record: the import reports them and applies none", async () => {
    const source = await open();
    await sourceCube(source.ledger, source.clock);
    await source.ledger.governance.createPrincipal({ principalId: "bob", kind: "user" });
    await source.ledger.governance.grantCube("travel", { kind: "principal", id: "bob" }, "read");
    const lines = await collect(await source.ledger.interchange.exportCube("travel", { includeGrants: true }));
    expect(lines.map((l) => JSON.parse(l)).filter((r) => r.kind === "grant").map((r) => r.grant)).toEqual([{ grantee: { kind: "principal", id: "bob" }, permission: "read" }]);
    expect((await collect(await source.ledger.interchange.exportCube("travel"))).some((l) => l.includes('"kind":"grant"'))).toBe(false);
    const target = await open();
    expect(await target.ledger.interchange.importCube(lines, {}, importer)).toMatchObject({ grantsInFile: 1 });
    expect(await target.ledger.governance.cubeGrants("travel")).toEqual([]);
  });

  it("the export is in the read audit: who exported which units", async () => {
    const source = await open();
    const units = await sourceCube(source.ledger, source.clock);
    await collect(await source.ledger.interchange.exportCube("travel"));
    const reads = await source.ledger.audit.whoRead(units.a);
    expect(reads.some((r) => r.action === "export" && r.cubeIds.includes("travel"))).toBe(true);
  });

  it("a tampered file is refused naming the first bad line, and nothing is imported", async () => {
    const source = await open();
    await sourceCube(source.ledger, source.clock);
    const lines = await collect(await source.ledger.interchange.exportCube("travel"));
    const target = await open();
    const edited = lines.map((l, i) => (i === 3 ? l.replace("Lisbon", "Porto") : l));
    const refused = await failureOf(target.ledger.interchange.importCube(edited, {}, importer));
    expect(refused).toMatchObject({ _tag: "InterchangeFileRejected", line: 4 });
    expect(refused.message).toContain("does not match its sha256");
    // Rehashing the edited record is caught by the trailer's digest.
    const { recordHash } = await import("../src/cubeInterchange/recordHashing.js");
    const rehashed = edited.map((l, i) => (i === 3 ? JSON.stringify({ ...JSON.parse(l), sha256: recordHash(JSON.parse(l)) }) : l));
    expect(await failureOf(target.ledger.interchange.importCube(rehashed, {}, importer))).toMatchObject({ _tag: "InterchangeFileRejected", line: lines.length });
    expect(await failureOf(target.ledger.interchange.importCube(lines.slice(0, -1), {}, importer))).toMatchObject({ _tag: "InterchangeFileRejected" });
    expect(await target.ledger.cubes.list()).toEqual([]);
  });

  it("importing the same file twice changes nothing", async () => {
    const source = await open();
    await sourceCube(source.ledger, source.clock);
    const lines = await collect(await source.ledger.interchange.exportCube("travel"));
    const target = await open();
    await target.ledger.interchange.importCube(lines, {}, importer);
    const head = (await target.ledger.tamperEvidence.verify()).head.position;
    const again = await target.ledger.interchange.importCube(lines, {}, importer);
    expect(again).toMatchObject({ units: { imported: 0, alreadyPresent: 4 }, events: { appended: 0 } });
    expect((await target.ledger.tamperEvidence.verify()).head.position).toBe(head);
  });

  it("a crash half-way: running the import again finishes it", async () => {
    const source = await open();
    const units = await sourceCube(source.ledger, source.clock);
    const lines = await collect(await source.ledger.interchange.exportCube("travel"));
    const target = await open();
    // The crash: the process stops after the second unit is written (the progress callback throws there).
    const crash = target.ledger.interchange.importCube(lines, { progressEvery: 1, onProgress: (p) => {
      if (p.units === 2) throw new Error("simulated crash");
    } }, importer);
    await expect(crash).rejects.toThrow("simulated crash");
    expect((await target.ledger.cubes.memories("travel")).length).toBeLessThan(4);
    const finished = await target.ledger.interchange.importCube(lines, {}, importer);
    expect(finished.units.imported + finished.units.alreadyPresent).toBe(4);
    expect(finished.units.imported).toBeGreaterThan(0);
    for (const memoryId of units.all) expect((await target.ledger.memories.history(memoryId)).length).toBe((await source.ledger.memories.history(memoryId)).length);
    expect((await target.ledger.tamperEvidence.verify()).ok).toBe(true);
  });

  it("a cube id taken here: refused with onConflict fail, remapped (and reported) with remap; the remapped import is idempotent too", async () => {
    const source = await open();
    const units = await sourceCube(source.ledger, source.clock);
    const lines = await collect(await source.ledger.interchange.exportCube("travel"));
    const target = await open();
    await target.ledger.cubes.create({ cubeId: "travel", name: "Someone else's travel", owner: { kind: "user", id: "bob" } }, importer);
    await target.ledger.memories.create({ cubeId: "travel", memoryId: units.a, text: "Bob's own unit" }, importer);
    expect(await failureOf(target.ledger.interchange.importCube(lines, {}, importer))).toMatchObject({ _tag: "InterchangeIdConflict", kind: "cube", id: "travel" });
    const report = await target.ledger.interchange.importCube(lines, { onConflict: "remap" }, importer);
    expect(report.cubeId).not.toBe("travel");
    expect(report.remapped).toContainEqual({ kind: "cube", from: "travel", to: report.cubeId });
    const unitRemap = report.remapped.find((r) => r.kind === "memory" && r.from === units.a)!;
    expect(unitRemap).toBeDefined();
    expect(report.remapped.filter((r) => r.kind === "memory")).toHaveLength(1);
    expect((await target.ledger.memories.get(unitRemap.to)).content?.text).toBe("Alice prefers window seats");
    // The merge's successor follows the remap.
    expect((await target.ledger.memories.get(units.c)).successorId).toBe(unitRemap.to);
    expect((await target.ledger.memories.get(units.a)).content?.text).toBe("Bob's own unit");
    const again = await target.ledger.interchange.importCube(lines, { onConflict: "remap" }, importer);
    expect(again).toMatchObject({ cubeId: report.cubeId, units: { imported: 0, alreadyPresent: 4 } });
  });

  it("current state only: one version per unit, statuses kept, history left behind", async () => {
    const source = await open();
    const units = await sourceCube(source.ledger, source.clock);
    const lines = await collect(await source.ledger.interchange.exportCube("travel", { currentState: true }));
    expect(lines.some((l) => l.includes("aisle"))).toBe(false);
    const target = await open();
    const report = await target.ledger.interchange.importCube(lines, {}, importer);
    expect(report.mode).toBe("currentState");
    for (const memoryId of units.all) {
      const [there, here] = [await source.ledger.memories.get(memoryId), await target.ledger.memories.get(memoryId)];
      expect([here.status, here.content, here.attributes, here.successorId]).toEqual([there.status, there.content, there.attributes, there.successorId]);
    }
  });
});


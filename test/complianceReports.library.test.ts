import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger, type ScopedLedger } from "../src/app/memLedger.js";
import type { CommandContext } from "../src/command/commandContext.js";
import { contentDigest } from "../src/readModels/compliance/complianceReadModel.js";
import { toCsv } from "../src/compliance/reportCsv.js";
import { evidenceDigest } from "../src/compliance/reportsFacade.js";

/** Every report against one scripted history: created, edited, merged, branched, read by two principals, erased. */
describe("compliance reports", () => {
  let dir: string;
  let ledger: MemLedger;
  let admin: ScopedLedger;
  let alice: ScopedLedger;
  let auditor: ScopedLedger;
  let now = Date.parse("2026-03-01T10:00:00.000Z");
  const at = (minute: number) => {
    now = Date.parse("2026-03-01T10:00:00.000Z") + minute * 60_000;
    return new Date(now).toISOString();
  };
  const as = (actor: string, reason?: string): CommandContext => ({ tenantId: "default", actor, ...(reason !== undefined ? { reason } : {}) });
  const m1Attributes = { memoryType: "long_term", confidence: 1, visibility: "cube" };
  let m1v2: { content: unknown; attributes: unknown };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "compliance-reports-"));
    ledger = await openMemLedger({ dataDir: dir, worker: false, readAudit: { mode: "sync" }, clock: { now: () => new Date(now) } });
    at(0);
    await ledger.bootstrapAdmin(join(dir, "admin.key"));
    await ledger.bootstrapAdmin(join(dir, "acme.key"), "acme");
    admin = ledger.as({ tenantId: "default", principalId: "admin" });
    await admin.governance.createPrincipal({ principalId: "alice", kind: "user", roles: ["writer"] });
    await admin.governance.createPrincipal({ principalId: "carol", kind: "user", roles: ["auditor", "reader"] });
    alice = ledger.as({ tenantId: "default", principalId: "alice" });
    auditor = ledger.as({ tenantId: "default", principalId: "carol" });
    at(1);
    await ledger.cubes.create({ cubeId: "home", name: "Home", owner: { kind: "user", id: "u1" } }, as("alice"));
    at(2);
    await ledger.memories.create({ memoryId: "m1", cubeId: "home", text: "likes green tea", userId: "u1", sources: [{ kind: "message", ref: "msg-1" }] }, as("alice"));
    at(3);
    await ledger.memories.create({ memoryId: "m2", cubeId: "home", text: "buys tea monthly", subjectId: "u2", sources: [{ kind: "other", ref: "m1" }] }, as("planner"));
    await ledger.memories.create({ memoryId: "m3", cubeId: "home", text: "buys tea", subjectId: "u2" }, as("planner"));
    at(4);
    const edited = await ledger.memories.edit("m1", { content: { text: "likes jasmine tea" } }, as("alice", "typo, said green"));
    m1v2 = { content: edited.content, attributes: edited.attributes };
    at(5);
    await ledger.memories.merge("m3", "m2", as("bob", "duplicate"));
    at(6);
    await ledger.cubes.branch("home", at(5), { cubeId: "what-if" }, as("alice"));
    at(7);
    await alice.memories.get("m1");
    at(8);
    await auditor.memories.get("m1");
    await auditor.memories.get("m2");
    await admin.governance.revokeRole("alice", "writer");
    // Another tenant's history must never show.
    await ledger.cubes.create({ cubeId: "acme-cube", name: "Acme", owner: { kind: "user", id: "eve" } }, { tenantId: "acme", actor: "eve" } as CommandContext);
    await ledger.memories.create({ memoryId: "acme-m", cubeId: "acme-cube", text: "secret", subjectId: "u1" }, { tenantId: "acme", actor: "eve" });
    at(9);
    await ledger.subjects.erase("u1", as("dpo", "art. 17 request"));
  }, 60_000);
  afterAll(async () => {
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("change log: every event of a unit with who, when, why and revision, never content", async () => {
    const page = await auditor.reports.changeLog({ memoryId: "m1" });
    const rows = page.rows.map(({ position, ...rest }) => rest);
    expect(rows).toEqual([
      { recordedAt: "2026-03-01T10:02:00.000Z", tenant: "default", actor: "alice", streamId: "memory-m1", memoryId: "m1", cubeId: "home", subjectId: "u1", type: "MemoryCreated", revision: 0 },
      { recordedAt: "2026-03-01T10:02:00.000Z", tenant: "default", actor: "alice", streamId: "memory-m1", memoryId: "m1", cubeId: "home", subjectId: "u1", type: "MemoryActivated", revision: 1 },
      { recordedAt: "2026-03-01T10:04:00.000Z", tenant: "default", actor: "alice", reason: "typo, said green", streamId: "memory-m1", memoryId: "m1", cubeId: "home", subjectId: "u1", type: "MemoryEdited", revision: 2 },
      { recordedAt: "2026-03-01T10:09:00.000Z", tenant: "default", actor: "dpo", reason: "art. 17 request", streamId: "memory-m1", memoryId: "m1", cubeId: "home", subjectId: "u1", type: "MemoryErased", revision: 3 },
    ]);
    expect(JSON.stringify(page)).not.toContain("tea");
    const byActor = await auditor.reports.changeLog({ actor: "bob" });
    expect(byActor.rows.map((r) => [r.type, r.memoryId, r.reason])).toEqual([["MemoryMerged", "m3", "duplicate"]]);
    const period = await auditor.reports.changeLog({ cubeId: "home", type: "MemoryCreated", from: "2026-03-01T10:03:00Z", to: "2026-03-01T10:03:59Z" });
    expect(period.rows.map((r) => r.memoryId)).toEqual(["m2", "m3"]);
  });

  it("pages with a cursor: every row once, in log order", async () => {
    const all = (await auditor.reports.changeLog({}, { limit: 1000 })).rows;
    const paged: number[] = [];
    let after: string | undefined;
    do {
      const page = await auditor.reports.changeLog({}, { limit: 3, ...(after !== undefined ? { after } : {}) });
      paged.push(...page.rows.map((r) => r.position));
      after = page.next;
    } while (after !== undefined);
    expect(paged).toEqual(all.map((r) => r.position));
    expect(new Set(paged).size).toBe(paged.length);
    await expect(auditor.reports.changeLog({}, { limit: 0 })).rejects.toMatchObject({ _tag: "InvalidRequest" });
  });

  it("never shows another tenant's events", async () => {
    const rows = (await auditor.reports.changeLog({}, { limit: 1000 })).rows;
    expect(rows.every((r) => r.tenant === "default")).toBe(true);
    expect(rows.some((r) => r.actor === "eve" || r.cubeId === "acme-cube")).toBe(false);
    const acme = ledger.as({ tenantId: "acme", principalId: "admin" });
    const acmeRows = (await acme.reports.changeLog({}, { limit: 1000 })).rows;
    expect(acmeRows.some((r) => r.cubeId === "home")).toBe(false);
    expect(acmeRows.some((r) => r.memoryId === "acme-m")).toBe(true);
    await expect(acme.reports.lineage("m1")).rejects.toMatchObject({ _tag: "ReportSubjectNotFound" });
    await expect(acme.reports.knowledgeAt("home", at(9))).rejects.toMatchObject({ _tag: "ReportSubjectNotFound" });
    expect((await acme.reports.subjectAccess("u1")).reads.rows).toEqual([]);
  });

  it("read log: who read m1, and what carol read", async () => {
    const who = await auditor.reports.readLog({ memoryId: "m1" });
    expect(who.rows.map((r) => [r.principalId, r.at, r.action, r.memoryIds])).toEqual([
      ["alice", "2026-03-01T10:07:00.000Z", "memory.get", ["m1"]],
      ["carol", "2026-03-01T10:08:00.000Z", "memory.get", ["m1"]],
    ]);
    const carol = await auditor.reports.readLog({ principalId: "carol", from: "2026-03-01T10:08:00Z" });
    expect(carol.rows.map((r) => r.memoryIds[0])).toEqual(["m1", "m2"]);
  });

  it("lineage: versions, sources, merges, branches and derived units", async () => {
    const m2 = (await auditor.reports.lineage("m2")).rows.map(({ position, recordedAt, ...rest }) => rest);
    expect(m2).toEqual([
      { memoryId: "m2", relation: "version", version: 1, revision: 0 },
      { memoryId: "m2", relation: "source", version: 1, sourceKind: "other", sourceRef: "m1" },
      { memoryId: "m2", relation: "merged_from", otherMemoryId: "m3" },
      { memoryId: "m2", relation: "branched_to", otherMemoryId: expect.any(String), cubeId: "what-if" },
    ]);
    const m3 = (await auditor.reports.lineage("m3")).rows.map((r) => [r.relation, r.otherMemoryId]);
    expect(m3).toContainEqual(["merged_into", "m2"]);
    // m1 was erased: its versions stay (ids and numbers), its sources are purged; m2 still names it as a source.
    const m1 = (await auditor.reports.lineage("m1")).rows.map((r) => [r.relation, r.version ?? null, r.otherMemoryId ?? null]);
    expect(m1).toEqual([
      ["version", 1, null],
      ["derived", 1, "m2"],
      ["version", 2, null],
      ["branched_to", null, expect.any(String)],
      // m2's copy in the branch cites m1 too.
      ["derived", 1, expect.any(String)],
    ]);
    const copy = (await auditor.reports.lineage("m1")).rows.find((r) => r.relation === "branched_to")!.otherMemoryId!;
    expect((await auditor.reports.lineage(copy)).rows.map((r) => [r.relation, r.otherMemoryId ?? null, r.cubeId ?? null])).toContainEqual(["branched_from", "m1", "home"]);
  });

  it("knowledge at T: versions and content hashes, exported as evidence with a digest", async () => {
    const before = await auditor.reports.knowledgeAt("home", "2026-03-01T10:04:30Z");
    expect(before.rows.map(({ position, ...r }) => r)).toEqual([
      // m1 is erased now: its hash is gone with its content.
      { memoryId: "m1", status: "activated", version: 2, revision: 2 },
      { memoryId: "m2", status: "activated", version: 1, revision: 1, contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      { memoryId: "m3", status: "activated", version: 1, revision: 1, contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    const m2 = await ledger.memories.get("m2", { time: "2026-03-01T10:04:30Z" });
    expect(before.rows[1]!.contentSha256).toBe(contentDigest(m2.content, m2.attributes));
    const evidence = await auditor.reports.knowledgeEvidence("home", "2026-03-01T10:05:30Z");
    expect(evidence.rows.map((r) => [r.memoryId, r.status])).toEqual([["m1", "activated"], ["m2", "activated"], ["m3", "merged"]]);
    const { digest, ...body } = evidence;
    expect(digest).toBe(evidenceDigest(body));
    expect(evidence.logPosition).toBeGreaterThan(0);
    const tampered = { ...body, rows: body.rows.slice(1) };
    expect(evidenceDigest(tampered)).not.toBe(digest);
    expect(m1Attributes).toBeDefined();
    expect(m1v2).toBeDefined();
  });

  it("erasure register: the subject certificate and the memory erasure it caused", async () => {
    const rows = (await auditor.reports.erasures({ from: "2026-03-01T10:09:00Z" })).rows;
    expect(rows.map(({ position, ...r }) => r)).toEqual([
      { recordedAt: "2026-03-01T10:09:00.000Z", tenant: "default", kind: "memory", subjectId: "u1", memoryId: "m1", actor: "dpo", reason: "art. 17 request" },
      // The branch copy of m1 is the same subject's data, erased with it.
      { recordedAt: "2026-03-01T10:09:00.000Z", tenant: "default", kind: "memory", subjectId: "u1", memoryId: expect.any(String), actor: "dpo", reason: "art. 17 request" },
      { recordedAt: "2026-03-01T10:09:00.000Z", tenant: "default", kind: "subject", subjectId: "u1", actor: "dpo", reason: "art. 17 request", erasedUnits: 2, alreadyErasedUnits: 0, destroyedKeys: 2 },
    ]);
    expect((await auditor.reports.erasures({ to: "2026-03-01T10:08:00Z" })).rows).toEqual([]);
  });

  it("access report for a subject: reads of their units and changes of their data", async () => {
    const report = await auditor.reports.subjectAccess("u2");
    expect(report.reads.rows.map((r) => [r.principalId, r.memoryIds])).toEqual([["carol", ["m2"]]]);
    expect(report.changes.rows.map((r) => [r.type, r.memoryId])).toEqual([
      ["MemoryCreated", "m2"],
      ["MemoryActivated", "m2"],
      ["MemoryCreated", "m3"],
      ["MemoryActivated", "m3"],
      ["MemoryMerged", "m3"],
      // The branch copies in what-if carry the same subject.
      ["MemoryCreated", expect.any(String)],
      ["MemoryActivated", expect.any(String)],
      ["MemoryCreated", expect.any(String)],
      ["MemoryActivated", expect.any(String)],
      ["MemoryMerged", expect.any(String)],
    ]);
    expect(report.changes.rows.every((r) => r.subjectId === "u2")).toBe(true);
  });

  it("grants and roles as of a past time", async () => {
    const rows = (await auditor.reports.grants("2026-03-01T10:00:30Z")).rows;
    expect(rows.filter((r) => r.kind === "role").map((r) => [r.principalId, r.role])).toEqual([
      ["alice", "writer"],
      ["carol", "auditor"],
      ["carol", "reader"],
    ]);
    expect(rows.some((r) => r.kind === "principal" && r.principalId === "carol")).toBe(true);
    const nowRows = (await auditor.reports.grants()).rows;
    expect(nowRows.filter((r) => r.kind === "role").map((r) => [r.principalId, r.role])).toEqual([
      ["carol", "auditor"],
      ["carol", "reader"],
    ]);
    expect(nowRows.some((r) => r.principalId === "eve" || r.cubeId === "acme-cube")).toBe(false);
  });

  it("refuses a principal without report.read with 403 naming the permission", async () => {
    const refused = await alice.reports.changeLog().catch((error: unknown) => error as { _tag: string; message: string });
    expect(refused).toMatchObject({ _tag: "Forbidden" });
    expect((refused as { message: string }).message).toContain("report.read");
    await expect(alice.reports.knowledgeEvidence("home", at(9))).rejects.toMatchObject({ _tag: "Forbidden" });
  });

  it("CSV: header, CRLF, quoted commas, quotes and newlines, formula-safe", () => {
    const csv = toCsv(["a", "b", "c"], [{ a: 'say "hi", then go', b: "line\nbreak", c: ["x", "y"] }, { a: "=SUM(A1)", b: 3 }]);
    expect(csv).toBe('a,b,c\r\n"say ""hi"", then go","line\nbreak",x;y\r\n\'=SUM(A1),3,\r\n');
  });
});

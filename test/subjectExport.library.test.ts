import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportAllPages } from "../src/subjectExport/exportAllPages.js";
import { subjectExportFormatVersion, type SubjectExportDocument } from "../src/subjectExport/subjectExportDocument.js";
import { subjectExportFixture, type SubjectExportFixture } from "./support/subjectExportFixture.js";
import { failureOf } from "./support/tempLedger.js";

describe("subjects.export: a data subject's access and portability export (GDPR art. 15, 20)", () => {
  let f: SubjectExportFixture;
  let doc: SubjectExportDocument;
  const memory = (id: string) => doc.memories.find((m) => m.memoryId === id)!;

  beforeAll(async () => {
    f = await subjectExportFixture();
    f.clock.advance(60_000);
    doc = await f.dpo.subjects.export("alice");
  });
  afterAll(async () => f.dispose());

  it("holds exactly the subject's units of the caller's tenant, in both cubes, and names the request", () => {
    expect(doc.memories.map((m) => m.memoryId).sort()).toEqual([f.units.edited, f.units.sourced, f.units.erased].sort());
    expect(doc.memories.map((m) => m.cubeId).sort()).toEqual(["home", "work", "work"]);
    expect(JSON.stringify(doc)).not.toContain(f.units.acmeAlice);
    expect(JSON.stringify(doc)).not.toContain("acme's alice");
    expect(JSON.stringify(doc)).not.toContain("bob likes");
    expect(doc).toMatchObject({ formatVersion: subjectExportFormatVersion, tenant: "default", subjectId: "alice", requestedBy: "dpo", generatedAt: f.clock.now().toISOString() });
    expect(doc.page).toEqual({ limit: 100, totalMemories: 3 });
  });

  it("gives each unit's current content decrypted, its sources, and every version with who, when and why", () => {
    const edited = memory(f.units.edited);
    expect(edited.content?.text).toBe("alice likes jasmine tea, no sugar");
    expect(edited.versions.map((v) => [v.type, v.content?.text, v.actor, v.reason])).toEqual([
      ["MemoryCreated", "alice likes green tea", "principal:admin", "chat 1"],
      ["MemoryEdited", "alice likes jasmine tea", "principal:admin", "alice corrected it"],
      ["MemoryEdited", "alice likes jasmine tea, no sugar", "principal:admin", "chat 2"],
    ]);
    expect(new Set(edited.versions.map((v) => v.recordedAt)).size).toBe(3);
    expect(memory(f.units.sourced).sources).toEqual([{ kind: "document", ref: "contract-42.pdf" }]);
  });

  it("shows an erased unit as erased, its content gone in every version, and its erasure in the changes", () => {
    const erased = memory(f.units.erased);
    expect(erased.status).toBe("erased");
    expect(erased.content).toBeNull();
    expect(erased.versions.every((v) => v.content === null)).toBe(true);
    expect(erased.erasureCertificateEventId).toBeUndefined();
    expect(doc.changes.filter((c) => c.memoryId === f.units.erased).map((c) => c.type)).toContain("MemoryErased");
    expect(doc.changes.find((c) => c.type === "MemoryErased")?.reason).toBe("alice asked to forget the number");
    expect(doc.certificates).toEqual([]);
  });

  it("lists every change of the units, in log order", () => {
    const edits = doc.changes.filter((c) => c.memoryId === f.units.edited).map((c) => c.type);
    expect(edits.filter((t) => t === "MemoryEdited")).toHaveLength(2);
    expect(edits[0]).toBe("MemoryCreated");
    const positions = doc.changes.map((c) => c.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it("lists every read of the units by the two readers, naming only the subject's units", () => {
    const byWhom = doc.reads.map((r) => [r.principalId, r.action, r.memoryIds]);
    expect(byWhom).toEqual(
      expect.arrayContaining([
        ["carol", "memory.get", [f.units.edited]],
        ["carol", "memory.history", [f.units.sourced]],
        ["dave", "search", [f.units.edited]],
        ["dave", "memory.get", [f.units.sourced]],
      ]),
    );
    expect(new Set(doc.reads.map((r) => r.principalId))).toEqual(new Set(["carol", "dave"]));
    // dave's search also returned bob's unit: the export does not reveal it.
    expect(doc.reads.flatMap((r) => r.memoryIds)).not.toContain(f.units.bobs);
  });

  it("is itself recorded in the read audit as an export of the units it returned", async () => {
    const exports = (await f.admin.audit.readsBy("dpo")).filter((r) => r.action === "export");
    expect(exports).toHaveLength(1);
    expect([...exports[0]!.memoryIds].sort()).toEqual([f.units.edited, f.units.sourced, f.units.erased].sort());
    expect([...exports[0]!.cubeIds].sort()).toEqual(["home", "work"]);
    expect((await f.admin.audit.whoRead(f.units.edited)).map((r) => r.action)).toContain("export");
  });

  it("refuses everyone but a data protection officer (403), a tenant admin too, and records nothing for them", async () => {
    for (const caller of [f.ops, f.carol]) {
      const refused = await failureOf(caller.subjects.export("alice"));
      expect(refused._tag).toBe("Forbidden");
      expect(refused.message).toContain("subject.export");
    }
    expect((await f.admin.audit.readsBy("ops")).filter((r) => r.action === "export")).toEqual([]);
  });

  it("in another tenant, the same subject id is another person: only that tenant's unit", async () => {
    const acme = await f.acmeAdmin.subjects.export("alice");
    expect(acme.memories.map((m) => [m.memoryId, m.content?.text])).toEqual([[f.units.acmeAlice, "acme's alice is someone else"]]);
    expect(acme.reads).toEqual([]);
    expect(acme.tenant).toBe("acme");
  });

  it("pages by units with a cursor, and the pages joined equal the whole export", async () => {
    const first = await f.dpo.subjects.export("alice", { limit: 2 });
    expect(first.memories).toHaveLength(2);
    expect(first.page.nextCursor).toBe(first.memories[1]!.memoryId);
    const second = await f.dpo.subjects.export("alice", { after: first.page.nextCursor!, limit: 2 });
    expect(second.memories).toHaveLength(1);
    expect(second.page.nextCursor).toBeUndefined();
    expect([...first.memories, ...second.memories].map((m) => m.memoryId)).toEqual(doc.memories.map((m) => m.memoryId));
    const joined = await exportAllPages((id, paging) => f.dpo.subjects.export(id, paging), "alice", 1);
    expect(joined.memories).toEqual(doc.memories);
    expect(joined.changes).toEqual(doc.changes);
    // The export reads of the pages just taken are reads too; compare the reads that were there before.
    expect(joined.reads.filter((r) => r.action !== "export")).toEqual(doc.reads);
    expect((await failureOf(f.dpo.subjects.export("alice", { after: f.units.bobs })))._tag).toBe("InvalidRequest");
    expect((await failureOf(f.dpo.subjects.export("alice", { limit: 0 })))._tag).toBe("InvalidRequest");
  });

  it("includes what ingest redaction masked, with the clear original the cube kept sealed", async () => {
    await f.admin.cubes.create({ cubeId: "inbox", name: "Inbox", owner: { kind: "project", id: "mail" } });
    await f.admin.redaction.configure("inbox", { enabled: true, keepOriginal: "sealed", kinds: ["email"] });
    const unit = await f.admin.memories.create({ cubeId: "inbox", text: "erin writes from erin@example.org", userId: "erin" });
    const erin = await f.dpo.subjects.export("erin");
    const exported = erin.memories.find((m) => m.memoryId === unit.memoryId)!;
    expect(exported.content?.text).toBe("erin writes from [EMAIL]");
    expect(exported.redactions?.map((r) => [r.originalState, r.original?.text])).toEqual([["sealed", "erin writes from erin@example.org"]]);
    expect(memory(f.units.edited).redactions).toBeUndefined();
  });

  it("a subject with nothing gets an empty export, not an error", async () => {
    const none = await f.dpo.subjects.export("nobody");
    expect(none.memories).toEqual([]);
    expect(none.page.totalMemories).toBe(0);
  });

  it("after the subject's erasure, every unit shows as erased with its certificate, and export and erasure agree on the units", async () => {
    const certificate = await f.dpo.subjects.erase("alice");
    const after = await f.dpo.subjects.export("alice");
    expect([...certificate.erasedMemoryIds, ...certificate.alreadyErasedMemoryIds].sort()).toEqual(after.memories.map((m) => m.memoryId).sort());
    expect(after.certificates).toEqual([certificate]);
    for (const m of after.memories) {
      expect(m.status).toBe("erased");
      expect(m.content).toBeNull();
      expect(m.erasureCertificateEventId).toBe(certificate.eventId);
    }
    // The history of who changed and read the units outlives their content.
    expect(after.changes.length).toBeGreaterThan(doc.changes.length);
    expect(after.reads.filter((r) => r.principalId === "carol")).toHaveLength(2);
  });

  it("the trusted root ledger exports its default tenant and is audited under its actor", async () => {
    const root = await f.ledger.subjects.export("bob");
    expect(root.memories.map((m) => m.memoryId)).toEqual([f.units.bobs]);
    expect(root.requestedBy).toBe("library");
    expect((await f.ledger.audit.readsBy("library")).map((r) => r.action)).toContain("export");
  });
});

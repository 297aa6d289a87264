import { join } from "node:path";
import type { MemLedger, ScopedLedger } from "../../src/app/memLedger.js";
import type { ManualClock } from "../../src/clock/clock.js";
import { tempLedger } from "./tempLedger.js";

/**
 * Alice's data in tenant `default`: one unit in `home` edited twice, one in
 * `work` with a source, one in `work` erased on its own; read by carol and
 * dave. Around it: bob's unit in `home` (read in the same search) and a unit
 * of another tenant's `alice` (another person with the same id).
 */
export interface SubjectExportFixture {
  readonly ledger: MemLedger;
  readonly clock: ManualClock;
  readonly dataDir: string;
  readonly admin: ScopedLedger;
  readonly dpo: ScopedLedger;
  /** A tenant admin without the data_protection_officer role. */
  readonly ops: ScopedLedger;
  readonly carol: ScopedLedger;
  readonly dave: ScopedLedger;
  readonly acmeAdmin: ScopedLedger;
  readonly units: { readonly edited: string; readonly sourced: string; readonly erased: string; readonly bobs: string; readonly acmeAlice: string };
  dispose(): Promise<void>;
}

export async function subjectExportFixture(): Promise<SubjectExportFixture> {
  const { ledger, clock, dataDir, dispose } = await tempLedger({ worker: false, readAudit: { mode: "sync" } });
  const tick = () => clock.advance(60_000);
  await ledger.bootstrapAdmin(join(dataDir, "admin.key"));
  await ledger.bootstrapAdmin(join(dataDir, "acme.key"), "acme");
  const admin = ledger.as({ tenantId: "default", principalId: "admin" });
  const acmeAdmin = ledger.as({ tenantId: "acme", principalId: "admin" });
  await admin.governance.createPrincipal({ principalId: "dpo", kind: "user", roles: ["data_protection_officer"] });
  await admin.governance.createPrincipal({ principalId: "ops", kind: "user", roles: ["tenant_admin"] });
  await admin.governance.createPrincipal({ principalId: "carol", kind: "user", roles: ["reader"] });
  await admin.governance.createPrincipal({ principalId: "dave", kind: "user", roles: ["reader"] });
  await admin.cubes.create({ cubeId: "home", name: "Home", owner: { kind: "user", id: "alice" } });
  await admin.cubes.create({ cubeId: "work", name: "Work", owner: { kind: "project", id: "crm" } });
  await acmeAdmin.cubes.create({ cubeId: "acme-cube", name: "Acme", owner: { kind: "project", id: "acme" } });

  tick();
  const edited = (await admin.memories.create({ cubeId: "home", text: "alice likes green tea", userId: "alice" }, { reason: "chat 1" })).memoryId;
  tick();
  await admin.memories.edit(edited, { content: { text: "alice likes jasmine tea" } }, { reason: "alice corrected it" });
  tick();
  await admin.memories.edit(edited, { content: { text: "alice likes jasmine tea, no sugar" } }, { reason: "chat 2" });
  tick();
  const sourced = (
    await admin.memories.create({ cubeId: "work", text: "alice's contract renews in May", subjectId: "alice", sources: [{ kind: "document", ref: "contract-42.pdf" }] })
  ).memoryId;
  const erased = (await admin.memories.create({ cubeId: "work", text: "alice's old phone number is 555-0100", userId: "alice" })).memoryId;
  const bobs = (await admin.memories.create({ cubeId: "home", text: "bob likes green tea too", userId: "bob" })).memoryId;
  const acmeAlice = (await acmeAdmin.memories.create({ cubeId: "acme-cube", text: "acme's alice is someone else", userId: "alice" })).memoryId;
  tick();
  await admin.memories.erase(erased, { reason: "alice asked to forget the number" });

  const carol = ledger.as({ tenantId: "default", principalId: "carol" });
  const dave = ledger.as({ tenantId: "default", principalId: "dave" });
  tick();
  await carol.memories.get(edited);
  await carol.memories.history(sourced);
  tick();
  await dave.search({ query: "green tea", cubeIds: ["home"], mode: "bm25" });
  await dave.memories.get(sourced);

  return {
    ledger,
    clock,
    dataDir,
    admin,
    dpo: ledger.as({ tenantId: "default", principalId: "dpo" }),
    ops: ledger.as({ tenantId: "default", principalId: "ops" }),
    carol,
    dave,
    acmeAdmin,
    units: { edited, sourced, erased, bobs, acmeAlice },
    dispose,
  };
}

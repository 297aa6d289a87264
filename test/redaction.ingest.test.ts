import Database from "better-sqlite3";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { MemLedger } from "../src/app/memLedger.js";
import { isSealed, unseal } from "../src/crypto/contentCipher.js";
import { tracesOf, textNeedle } from "./support/dataDirectoryScan.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

const email = "zelda.quarrington@example.org";
const card = "4111 1111 1111 1111";
const iban = "DE89 3704 0044 0532 0130 00";
const personal = `Write to ${email}, card ${card}, IBAN ${iban}, from 203.0.113.77`;

/**
 * Every event of the log as it reads once decrypted with every key still in the
 * key store: what anyone holding the keys could recover, not just the raw bytes.
 */
function decryptedLog(dataDir: string): string {
  const keys = new Database(join(dataDir, "keys", "keys.db"), { readonly: true });
  const events = new Database(join(dataDir, "events.db"), { readonly: true });
  try {
    const material = new Map(keys.prepare<[], { key_id: string; material: Buffer }>("SELECT key_id, material FROM data_keys").all().map((k) => [k.key_id, k.material]));
    const open = (value: unknown): unknown => {
      if (isSealed(value)) return material.has(value.keyId) ? unseal(value, material.get(value.keyId)!) : null;
      if (Array.isArray(value)) return value.map(open);
      if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, open(v)]));
      return value;
    };
    return events.prepare<[], { data: string }>("SELECT data FROM events").all().map((row) => JSON.stringify(open(JSON.parse(row.data)))).join("\n");
  } finally {
    keys.close();
    events.close();
  }
}

describe("redaction at ingest", () => {
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await dispose?.();
    dispose = undefined;
  });

  const open = async () => {
    const t = await tempLedger({ readAudit: { mode: "sync" } });
    dispose = t.dispose;
    await t.ledger.cubes.create({ cubeId: "c1", name: "support", owner: { kind: "project", id: "helpdesk" } });
    return t;
  };

  it("leaves text as given while the cube has no redaction", async () => {
    const { ledger } = await open();
    expect((await ledger.redaction.settings("c1")).enabled).toBe(false);
    const unit = await ledger.memories.create({ cubeId: "c1", text: personal });
    expect(unit.content?.text).toBe(personal);
    expect(await ledger.redaction.explain(unit.memoryId)).toEqual([]);
  });

  it("masks created, edited, sync- and async-added units with typed placeholders and records the kinds, not the values", async () => {
    const { ledger } = await open();
    const settings = await ledger.redaction.configure("c1", { enabled: true, keepOriginal: "drop", metadata: true });
    expect(settings).toMatchObject({ cubeId: "c1", enabled: true, keepOriginal: "drop", metadata: true, kinds: ["email", "phone", "card", "iban", "ip", "name"] });

    const created = await ledger.memories.create({ cubeId: "c1", text: personal, key: `mail ${email}`, metadata: { contact: email, count: 3 } });
    expect(created.content?.text).toBe("Write to [EMAIL], card [CARD], IBAN [IBAN], from [IP]");
    expect(created.content?.key).toBe("mail [EMAIL]");
    expect(created.content?.metadata).toEqual({ contact: "[EMAIL]", count: 3 });

    const edited = await ledger.memories.edit(created.memoryId, { content: { text: "Call +44 20 7946 0958 about Sarah Connor" } });
    expect(edited.content?.text).toBe("Call [PHONE] about [NAME]");

    const sync = await ledger.memories.add("c1", { mode: "sync", memories: [{ text: `sync ${email}` }] });
    if (sync.mode !== "sync") throw new Error("expected a sync add");
    expect(sync.memories[0]!.content?.text).toBe("sync [EMAIL]");

    const added = await ledger.memories.add("c1", { mode: "async", memories: [{ text: `async ${card}` }] });
    if (added.mode !== "async") throw new Error("expected an async add");
    expect((await ledger.jobs.wait(added.job.jobId, 20_000)).job.status).toBe("done");
    expect((await ledger.memories.get(added.memoryIds[0]!)).content?.text).toBe("async [CARD]");

    const records = await ledger.redaction.explain(created.memoryId);
    expect(records.map((r) => ({ operation: r.operation, kinds: r.kinds, fields: r.fields, keepOriginal: r.keepOriginal }))).toEqual([
      { operation: "create", kinds: { email: 3, card: 1, iban: 1, ip: 1 }, fields: ["text", "key", "metadata.contact"], keepOriginal: "drop" },
      { operation: "edit", kinds: { phone: 1, name: 1 }, fields: ["text"], keepOriginal: "drop" },
    ]);
    expect(JSON.stringify(records)).not.toContain(email);
  });

  it("in drop mode, the original is nowhere in the data directory, not even in the log decrypted with every key", async () => {
    const { ledger, dataDir } = await open();
    await ledger.redaction.configure("c1", { enabled: true, keepOriginal: "drop" });
    const unit = await ledger.memories.create({ cubeId: "c1", text: personal });
    await ledger.memories.edit(unit.memoryId, { content: { text: `edited ${email}` } });
    await ledger.readModels.catchUp(10_000);
    const needles = [email, card, iban, "203.0.113.77"].map(textNeedle);
    expect(tracesOf(dataDir, needles)).toEqual([]);
    const log = decryptedLog(dataDir);
    for (const value of [email, card, iban, "203.0.113.77"]) expect(log).not.toContain(value);
    expect(log).toContain("[EMAIL]");
    expect((await ledger.redaction.originals(unit.memoryId)).map((r) => [r.originalState, r.original])).toEqual([
      ["dropped", null],
      ["dropped", null],
    ]);
  });

  it("in sealed mode, keeps the original encrypted with the unit's key, and erasure shreds it with the unit", async () => {
    const { ledger, dataDir } = await open();
    await ledger.redaction.configure("c1", { enabled: true, keepOriginal: "sealed", kinds: ["email"] });
    const unit = await ledger.memories.create({ cubeId: "c1", text: `Reach ${email} from 203.0.113.77`, userId: "zelda" });
    expect(unit.content?.text).toBe("Reach [EMAIL] from 203.0.113.77");
    expect(tracesOf(dataDir, [textNeedle(email)])).toEqual([]);
    expect(decryptedLog(dataDir)).toContain(email);
    const [record] = await ledger.redaction.originals(unit.memoryId);
    expect(record).toMatchObject({ originalState: "sealed", original: { text: `Reach ${email} from 203.0.113.77` }, kinds: { email: 1 } });

    await ledger.subjects.erase("zelda");
    expect(decryptedLog(dataDir)).not.toContain(email);
    const [shredded] = await ledger.redaction.originals(unit.memoryId);
    expect(shredded).toMatchObject({ originalState: "shredded", original: null, kinds: { email: 1 } });
  });

  it("a retried create (same idempotency key) answers as the first and records its masking once", async () => {
    const { ledger } = await open();
    await ledger.redaction.configure("c1", { enabled: true, keepOriginal: "sealed" });
    const ctx = { tenantId: "default", actor: "library", commandId: "create-once" };
    const first = await ledger.memories.create({ cubeId: "c1", text: `Mail ${email}` }, ctx);
    const again = await ledger.memories.create({ cubeId: "c1", text: `Mail ${email}` }, ctx);
    expect(again).toEqual(first);
    const records = await ledger.redaction.originals(first.memoryId);
    expect(records.map((r) => [r.operation, r.original])).toEqual([["create", { text: `Mail ${email}` }]]);
  });

  it("rejects a bad setting with the field named, and a cube that does not exist with 404", async () => {
    const { ledger } = await open();
    expect(await failureOf(ledger.redaction.configure("c1", { enabled: true, kinds: ["ssn" as "email"] }))).toMatchObject({ _tag: "InvalidRequest", field: "kinds" });
    expect(await failureOf(ledger.redaction.configure("nope", { enabled: true }))).toMatchObject({ _tag: "CubeNotFound" });
  });
});

describe("who may read sealed originals", () => {
  let ledger: MemLedger | undefined;
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await dispose?.();
    dispose = undefined;
    ledger = undefined;
  });

  it("a data protection officer reads them (audited); a writer and a reader do not; only a cube admin configures", async () => {
    const t = await tempLedger({ readAudit: { mode: "sync" } });
    dispose = t.dispose;
    ledger = t.ledger;
    await ledger.bootstrapAdmin(join(t.dataDir, "admin.key"));
    const admin = ledger.as({ tenantId: "default", principalId: "admin" });
    await admin.governance.createPrincipal({ principalId: "wendy", kind: "user", roles: ["writer"] });
    await admin.governance.createPrincipal({ principalId: "dora", kind: "user", roles: ["data_protection_officer"] });
    await admin.governance.createPrincipal({ principalId: "rita", kind: "user", roles: ["reader"] });
    const wendy = ledger.as({ tenantId: "default", principalId: "wendy" });
    const dora = ledger.as({ tenantId: "default", principalId: "dora" });
    const rita = ledger.as({ tenantId: "default", principalId: "rita" });

    await admin.cubes.create({ cubeId: "c1", name: "support", owner: { kind: "project", id: "helpdesk" } });
    expect((await failureOf(rita.redaction.configure("c1", { enabled: true })))._tag).toBe("Forbidden");
    await admin.redaction.configure("c1", { enabled: true, keepOriginal: "sealed" });
    expect((await rita.redaction.settings("c1")).keepOriginal).toBe("sealed");

    const unit = await wendy.memories.create({ cubeId: "c1", text: `Mail ${email}` });
    expect(unit.content?.text).toBe("Mail [EMAIL]");
    expect((await wendy.redaction.explain(unit.memoryId))[0]!.kinds).toEqual({ email: 1 });

    expect((await failureOf(wendy.redaction.originals(unit.memoryId)))._tag).toBe("Forbidden");
    expect((await failureOf(rita.redaction.originals(unit.memoryId)))._tag).toBe("Forbidden");
    const [record] = await dora.redaction.originals(unit.memoryId);
    expect(record!.original).toEqual({ text: `Mail ${email}` });
    const reads = await admin.audit.readsBy("dora");
    expect(reads.map((r) => r.action)).toContain("memory.unredacted");
  });
});

import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMemLedger } from "../src/client/httpClient.js";
import { authenticatedServer, type AuthenticatedServer } from "./support/authenticatedServer.js";
import { failureOf, tempLedger } from "./support/tempLedger.js";

/**
 * Cube export and import over REST and the HTTP client: a cube streamed out of
 * one server and into another, and the policy: export is the cube admins',
 * import needs `cube.create`.
 */
type Temp = Awaited<ReturnType<typeof tempLedger>>;
interface Side {
  readonly temp: Temp;
  readonly server: AuthenticatedServer;
  readonly url: string;
}
let source: Side;
let target: Side;

async function side(): Promise<Side> {
  const temp = await tempLedger();
  const server = await authenticatedServer(temp.ledger, temp.dataDir);
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  return { temp, server, url: `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  [source, target] = await Promise.all([side(), side()]);
});
afterAll(async () => {
  for (const s of [source, target]) {
    await s.server.app.close();
    await s.temp.dispose();
  }
});

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

describe("cube interchange over REST", () => {
  it("a cube goes from one server to another through the HTTP client, with its history; the target's log verifies", async () => {
    const from = await connectMemLedger(source.url, { apiKey: await source.server.tokenFor() });
    const to = await connectMemLedger(target.url, { apiKey: await target.server.tokenFor() });
    await from.cubes.create({ cubeId: "notes", name: "Notes", owner: { kind: "project", id: "p1" } });
    const unit = await from.memories.create({ cubeId: "notes", text: "the kickoff is on Monday" });
    await from.memories.edit(unit.memoryId, { content: { text: "the kickoff moved to Tuesday" } });

    const lines = await collect(await from.interchange.exportCube("notes"));
    expect(lines.map((l) => JSON.parse(l).kind)).toEqual(["manifest", "cube", "unit", "trailer"]);
    const report = await to.interchange.importCube(lines);
    expect(report).toMatchObject({ cubeId: "notes", units: { imported: 1 }, events: { appended: 3 } });
    expect((await to.memories.get(unit.memoryId)).content?.text).toBe("the kickoff moved to Tuesday");
    expect((await to.memories.history(unit.memoryId)).map((e) => e.type)).toEqual((await from.memories.history(unit.memoryId)).map((e) => e.type));
    expect((await to.tamperEvidence.verify()).ok).toBe(true);
    // Again: nothing changes.
    expect(await to.interchange.importCube(lines)).toMatchObject({ units: { imported: 0, alreadyPresent: 1 }, events: { appended: 0 } });

    const flat = (await collect(await from.interchange.exportFlat("notes"))).map((l) => JSON.parse(l));
    expect(flat).toEqual([expect.objectContaining({ id: unit.memoryId, text: "the kickoff moved to Tuesday", memory_type: "long_term", user_id: null })]);
    await Promise.all([from.close(), to.close()]);
  });

  it("GET /cubes/:cubeId/export streams application/x-ndjson; POST /cubes/import refuses a tampered body with 422 naming the line", async () => {
    await source.temp.ledger.cubes.create({ cubeId: "drafts", name: "Drafts", owner: { kind: "project", id: "p1" } });
    await source.temp.ledger.memories.create({ cubeId: "drafts", text: "draft: the kickoff moved to Tuesday" });
    await target.temp.ledger.cubes.create({ cubeId: "drafts", name: "Someone else's drafts", owner: { kind: "project", id: "p2" } });
    const exported = await source.server.app.inject({ method: "GET", url: "/cubes/drafts/export?currentState=true" });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers["content-type"]).toContain("application/x-ndjson");
    const tampered = exported.body.replace("Tuesday", "Friday");
    const refused = await target.server.app.inject({ method: "POST", url: "/cubes/import", headers: { "content-type": "application/x-ndjson" }, payload: tampered });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ error: "InterchangeFileRejected", line: 3 });
    const conflict = await target.server.app.inject({ method: "POST", url: "/cubes/import", headers: { "content-type": "application/x-ndjson" }, payload: exported.body });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: "InterchangeIdConflict", kind: "cube", id: "drafts" });
    const remapped = await target.server.app.inject({ method: "POST", url: "/cubes/import?onConflict=remap", headers: { "content-type": "application/x-ndjson" }, payload: exported.body });
    expect(remapped.statusCode).toBe(200);
    expect(remapped.json().remapped).toContainEqual(expect.objectContaining({ kind: "cube", from: "drafts" }));
  });

  // Found by the fuzzer: /cubes/import also matches /cubes/:cubeId, whose GET and PATCH the Allow header listed.
  it("OPTIONS /cubes/import is a 405 whose Allow header lists POST only", async () => {
    const response = await source.server.app.inject({ method: "OPTIONS", url: "/cubes/import" });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe("POST");
  });

  it("export needs cube admin (a writer gets 403, another tenant 404); import needs cube.create (a reader gets 403); the importer administers the new cube", async () => {
    const writer = await source.server.principalToken("wendy", { roles: ["writer"] });
    const asWriter = await connectMemLedger(source.url, { apiKey: writer });
    expect(await failureOf(asWriter.interchange.exportCube("notes"))).toMatchObject({ _tag: "Forbidden", status: 403 });
    const stranger = await connectMemLedger(source.url, { apiKey: await source.server.tokenFor("other") });
    expect(await failureOf(stranger.interchange.exportCube("notes"))).toMatchObject({ _tag: "CubeNotFound", status: 404 });

    const lines = await collect(await (await connectMemLedger(source.url, { apiKey: await source.server.tokenFor() })).interchange.exportCube("notes"));
    const reader = await connectMemLedger(target.url, { apiKey: await target.server.principalToken("rita", { roles: ["reader"] }) });
    expect(await failureOf(reader.interchange.importCube(lines))).toMatchObject({ _tag: "Forbidden", status: 403 });
    expect(await failureOf(reader.interchange.importExternal({ format: "jsonl", text: '{"text":"x"}' }))).toMatchObject({ _tag: "Forbidden", status: 403 });

    // Into a cube an earlier import made, a re-import needs write on it; it grants nothing.
    const importer = await connectMemLedger(target.url, { apiKey: await target.server.principalToken("ivan", { roles: ["writer"] }) });
    expect(await importer.interchange.importCube(lines)).toMatchObject({ cubeId: "notes", units: { imported: 0, alreadyPresent: 1 } });
    expect(await failureOf(importer.interchange.exportCube("notes"))).toMatchObject({ _tag: "Forbidden" });
    // A cube its own import creates, the importer administers: it may export it; the events name it, the source's actor is kept.
    const other = await connectMemLedger(source.url, { apiKey: await source.server.tokenFor() });
    await other.cubes.create({ cubeId: "journal", name: "Journal", owner: { kind: "user", id: "u1" } });
    const entry = await other.memories.create({ cubeId: "journal", text: "day one" });
    const journal = await collect(await other.interchange.exportCube("journal"));
    expect((await importer.interchange.importCube(journal)).cubeId).toBe("journal");
    expect((await collect(await importer.interchange.exportCube("journal"))).length).toBe(journal.length);
    const [created] = await importer.memories.history(entry.memoryId);
    expect(created).toMatchObject({ actor: "principal:ivan", importedFrom: { memoryId: entry.memoryId, actor: (await other.memories.history(entry.memoryId))[0]!.actor } });
  });
});

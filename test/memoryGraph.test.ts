import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMemLedger, type MemLedger } from "../src/app/memLedger.js";
import { restrictNeighbourhood, type MemoryNeighbourhood } from "../src/memoryGraph/memoryNeighbourhood.js";
import { buildServer } from "../src/server/buildServer.js";

const ids = (graph: MemoryNeighbourhood) => graph.nodes.map((n) => n.id).sort();

describe("restrictNeighbourhood", () => {
  const nodeIds = ["memory:m0", "memory:m1", "memory:m2", "memory:m3", "entity:a", "entity:b", "tag:t"];
  const graphs = fc
    .record({
      edges: fc.array(fc.record({ src: fc.constantFrom(...nodeIds), dst: fc.constantFrom(...nodeIds), type: fc.constantFrom("MENTIONS" as const, "MERGED_INTO" as const) }), { maxLength: 14 }),
      hops: fc.integer({ min: 1, max: 3 }),
      visible: fc.subarray(["m1", "m2", "m3"]),
    })
    .map(({ edges, hops, visible }) => ({
      visible: new Set(visible),
      graph: {
        memoryId: "m0",
        cubeId: "c",
        hops,
        nodes: nodeIds.map((id) => ({ id, kind: id.split(":")[0]!, label: id, depth: 0 })),
        edges,
        truncated: false,
      } satisfies MemoryNeighbourhood,
    }));

  it("keeps no memory but the visible ones and the start, only nodes reachable through kept nodes within the hops, and only edges between kept nodes", () => {
    fc.assert(
      fc.property(graphs, ({ graph, visible }) => {
        const shown = restrictNeighbourhood(graph, visible);
        const kept = new Set(shown.nodes.map((n) => n.id));
        for (const node of shown.nodes) {
          if (node.kind === "memory") expect(node.id === "memory:m0" || visible.has(node.id.slice(7))).toBe(true);
          expect(node.depth).toBeLessThanOrEqual(graph.hops);
        }
        for (const edge of shown.edges) expect(kept.has(edge.src) && kept.has(edge.dst)).toBe(true);
        // Every kept node but the start has a kept neighbour one hop nearer.
        for (const node of shown.nodes.filter((n) => n.depth > 0)) {
          const nearer = shown.edges.some((e) => (e.src === node.id || e.dst === node.id) && shown.nodes.some((o) => o.depth === node.depth - 1 && (o.id === e.src || o.id === e.dst)));
          expect(nearer).toBe(true);
        }
        // Narrowing twice is narrowing once.
        expect(restrictNeighbourhood(shown, visible)).toEqual(shown);
      }),
    );
  });

  it("drops an entity that only a hidden unit mentions, with the hidden unit", () => {
    const graph: MemoryNeighbourhood = {
      memoryId: "m0",
      cubeId: "c",
      hops: 2,
      nodes: [
        { id: "memory:m0", kind: "memory", label: "m0", depth: 0 },
        { id: "tag:shared", kind: "tag", label: "shared", depth: 1 },
        { id: "memory:hidden", kind: "memory", label: "hidden", depth: 2 },
        { id: "entity:secret", kind: "entity", label: "Secret", depth: 3 },
      ],
      edges: [
        { type: "MENTIONS", src: "memory:m0", dst: "tag:shared" },
        { type: "MENTIONS", src: "memory:hidden", dst: "tag:shared" },
        { type: "MENTIONS", src: "memory:hidden", dst: "entity:secret" },
      ],
      truncated: false,
    };
    expect(ids(restrictNeighbourhood(graph, new Set()))).toEqual(["memory:m0", "tag:shared"]);
    expect(ids(restrictNeighbourhood({ ...graph, hops: 3 }, new Set(["hidden"])))).toEqual(["entity:secret", "memory:hidden", "memory:m0", "tag:shared"]);
  });
});

describe("GET /memories/:memoryId/graph", () => {
  let dir: string;
  let ledger: MemLedger;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "memory-graph-"));
    ledger = await openMemLedger({ dataDir: dir, worker: false, readAudit: { mode: "sync" } });
    await ledger.bootstrapAdmin(join(dir, "admin.key"));
    const admin = ledger.as({ tenantId: "default", principalId: "admin" });
    await admin.governance.createPrincipal({ principalId: "bob", kind: "user" });
    await admin.governance.createPrincipal({ principalId: "carol", kind: "user" });
    await admin.cubes.create({ cubeId: "home", name: "Home", owner: { kind: "user", id: "bob" } });
    await admin.cubes.create({ cubeId: "work", name: "Work", owner: { kind: "user", id: "bob" } });
    await admin.governance.grantCube("home", { kind: "principal", id: "bob" }, "write");
    await admin.governance.grantCube("home", { kind: "principal", id: "carol" }, "read");
    await admin.governance.grantCube("work", { kind: "principal", id: "bob" }, "write");
    const bob = ledger.as({ tenantId: "default", principalId: "bob" });
    await bob.memories.create({ memoryId: "open", cubeId: "home", text: "the garden gate", tags: ["garden"] });
    await bob.memories.create({ memoryId: "diary", cubeId: "home", text: "my diary", tags: ["garden", "diary-only"], visibility: "private" });
    await bob.memories.create({ memoryId: "elsewhere", cubeId: "work", text: "the office plants", tags: ["garden", "work-only"] });
    await bob.memories.create({ memoryId: "older", cubeId: "home", text: "the old gate", tags: ["gate"] });
    await bob.memories.merge("older", "open");
  }, 60_000);
  afterAll(async () => {
    await ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows a reader the merges and mentions around a unit, never a private unit of another or another cube's units and what only they mention", async () => {
    const carol = ledger.as({ tenantId: "default", principalId: "carol" });
    const seen = await carol.memories.neighbourhood("open", { hops: 2 });
    expect(ids(seen)).toEqual(["memory:open", "memory:older", "tag:garden", "tag:gate"].sort());
    expect(seen.edges).toContainEqual({ type: "MERGED_INTO", src: "memory:older", dst: "memory:open" });
    // Bob, the author, sees his private unit and its tag; never the other cube's.
    const bobs = await ledger.as({ tenantId: "default", principalId: "bob" }).memories.neighbourhood("open", { hops: 2 });
    expect(ids(bobs)).toContain("memory:diary");
    expect(ids(bobs)).not.toContain("memory:elsewhere");
    expect(ids(bobs)).not.toContain("tag:work-only");
    // The read is audited, naming the units shown.
    const reads = await ledger.audit.readsBy("carol");
    expect(reads.find((r) => r.action === "memory.graph")?.memoryIds).toEqual(expect.arrayContaining(["open", "older"]));
  });

  it("answers over REST with the declared shape, 404 for a unit the caller may not see, 400 for hops out of range", async () => {
    const app = await buildServer(ledger, { rateLimit: false });
    try {
      const carolKey = (await ledger.governance.issueKey("carol", { scopes: ["read"] })).token;
      const get = (url: string) => app.inject({ method: "GET", url, headers: { authorization: `Bearer ${carolKey}` } });
      const ok = await get("/memories/open/graph?hops=2");
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ memoryId: "open", cubeId: "home", hops: 2, truncated: false });
      expect(ids(ok.json())).not.toContain("memory:diary");
      // Refused as a read of the unit is (src/app/scopedLedger.ts decides 403 or 404), and nothing of it in the answer.
      for (const hidden of ["diary", "elsewhere"]) {
        const refused = await get(`/memories/${hidden}/graph`);
        expect(refused.statusCode).toBe((await get(`/memories/${hidden}`)).statusCode);
        expect([403, 404]).toContain(refused.statusCode);
        expect(refused.body).not.toContain("diary-only");
      }
      expect((await get("/memories/open/graph?hops=4")).statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });
});

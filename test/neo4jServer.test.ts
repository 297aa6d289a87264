import { connect } from "node:net";
import neo4j, { type Driver } from "neo4j-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { neo4jVersion, noAuth, startNeo4jServer, type Neo4jTestServer } from "./support/neo4jServer.js";

describe(`the Neo4j test server (Neo4j ${neo4jVersion} community, embedded, Bolt only)`, () => {
  let server: Neo4jTestServer;
  let driver: Driver;

  // Generous: the first run fetches the jars with Maven and compiles the launcher.
  beforeAll(async () => {
    server = await startNeo4jServer();
    driver = neo4j.driver(server.boltUrl, noAuth);
  }, 180_000);
  afterAll(async () => {
    await driver?.close();
    await server?.stop();
  }, 30_000);

  it("listens on a loopback Bolt URL", () => {
    expect(server.boltUrl).toMatch(/^bolt:\/\/127\.0\.0\.1:\d+$/);
  });

  it("keeps a MERGEd node for a later session", async () => {
    const writer = driver.session();
    try {
      // Twice: MERGE must find the first node rather than create a second one.
      for (let attempt = 0; attempt < 2; attempt++) {
        await writer.executeWrite((tx) => tx.run("MERGE (g:Greeting {id: $id}) SET g.text = $text", { id: "g1", text: "hello" }));
      }
    } finally {
      await writer.close();
    }

    const reader = driver.session({ defaultAccessMode: neo4j.session.READ });
    try {
      const result = await reader.executeRead((tx) => tx.run("MATCH (g:Greeting {id: $id}) RETURN g.text AS text", { id: "g1" }));
      expect(result.records.map((record) => record.get("text"))).toEqual(["hello"]);
    } finally {
      await reader.close();
    }
  });

  it("stops, closing its port", async () => {
    const port = Number(new URL(server.boltUrl).port);
    await driver.close();
    expect(await acceptsConnections(port)).toBe(true);
    await server.stop();
    expect(await acceptsConnections(port)).toBe(false);
  }, 30_000);
});

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once("error", () => resolveProbe(false));
  });
}

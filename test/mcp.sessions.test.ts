import { describe, expect, it } from "vitest";
import { McpSessions, type McpSession } from "../src/mcp/mcpSessions.js";

/** A session whose server records that it was closed (the transport is not touched by the registry). */
const fakeSession = (owner: string, lastUsed: number, closed: string[], name: string): McpSession =>
  ({
    owner,
    lastUsed,
    transport: {},
    server: { close: async () => void closed.push(name) },
  }) as unknown as McpSession;

describe("the /mcp session registry", () => {
  it("a session is found only by the principal that opened it", () => {
    const sessions = new McpSessions({ maxSessions: 10, idleMs: 60_000 });
    sessions.add("s1", fakeSession("default/ana", 0, [], "s1"));
    expect(sessions.find("s1", "default/ana")).toBeDefined();
    expect(sessions.find("s1", "default/bob")).toBeUndefined();
    expect(sessions.find("s1", "other/ana")).toBeUndefined();
    expect(sessions.find("s2", "default/ana")).toBeUndefined();
    sessions.closeAll();
  });

  it("is bounded: the least recently used session is closed to make room, and idle ones are closed", async () => {
    let now = 1_000;
    const closed: string[] = [];
    const sessions = new McpSessions({ maxSessions: 2, idleMs: 500 }, () => now);
    sessions.add("a", fakeSession("t/p", now, closed, "a"));
    now += 10;
    sessions.add("b", fakeSession("t/p", now, closed, "b"));
    now += 10;
    sessions.find("a", "t/p"); // a is now the more recently used
    sessions.add("c", fakeSession("t/p", now, closed, "c"));
    await Promise.resolve();
    expect(closed).toEqual(["b"]);
    expect(sessions.size).toBe(2);

    now += 400;
    sessions.find("c", "t/p");
    now += 200; // a unused for 600 ms, c for 200 ms
    sessions.closeIdle();
    await Promise.resolve();
    expect(closed).toEqual(["b", "a"]);
    expect(sessions.find("c", "t/p")).toBeDefined();
    sessions.closeAll();
    await Promise.resolve();
    expect(closed).toEqual(["b", "a", "c"]);
    expect(sessions.size).toBe(0);
  });
});

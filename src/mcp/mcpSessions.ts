import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/** One Streamable HTTP session: its transport, its server, and the principal that opened it. */
export interface McpSession {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: McpServer;
  /** `tenant/principal[/onBehalfOf]`: only the same principal may use the session. */
  readonly owner: string;
  lastUsed: number;
}

export interface McpSessionLimits {
  /** Sessions open at once; the least recently used is closed to make room. */
  readonly maxSessions: number;
  /** A session unused this long is closed (a client that went away without DELETE). */
  readonly idleMs: number;
}

export const defaultMcpSessionLimits: McpSessionLimits = { maxSessions: 1_000, idleMs: 30 * 60_000 };

/**
 * The open sessions of the `/mcp` endpoint, bounded in number and idle time so
 * clients that never say goodbye cannot grow the server's memory without end.
 * Sessions live in memory only: after a restart a client gets 404 and, as the
 * specification asks, initializes a new session (memories are in the log, not here).
 */
export class McpSessions {
  readonly #sessions = new Map<string, McpSession>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    private readonly limits: McpSessionLimits = defaultMcpSessionLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.#sweep = setInterval(() => this.closeIdle(), Math.max(1_000, Math.min(limits.idleMs, 60_000)));
    this.#sweep.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** The session if it exists and belongs to `owner`; another principal's session looks missing. */
  find(sessionId: string, owner: string): McpSession | undefined {
    const session = this.#sessions.get(sessionId);
    if (session === undefined || session.owner !== owner) return undefined;
    session.lastUsed = this.now();
    return session;
  }

  add(sessionId: string, session: McpSession): void {
    while (this.#sessions.size >= this.limits.maxSessions) {
      const oldest = [...this.#sessions.entries()].reduce((a, b) => (b[1].lastUsed < a[1].lastUsed ? b : a));
      this.close(oldest[0]);
    }
    this.#sessions.set(sessionId, session);
  }

  /** Forgets the session and closes its transport (which ends its open streams). */
  close(sessionId: string): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    this.#sessions.delete(sessionId);
    void session.server.close().catch(() => undefined);
  }

  /** Forgets a session its transport already closed. */
  forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }

  closeIdle(): void {
    const cutoff = this.now() - this.limits.idleMs;
    for (const [sessionId, session] of [...this.#sessions]) if (session.lastUsed < cutoff) this.close(sessionId);
  }

  closeAll(): void {
    clearInterval(this.#sweep);
    for (const sessionId of [...this.#sessions.keys()]) this.close(sessionId);
  }
}

import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Readable, Writable } from "node:stream";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { createMemledgerMcpServer } from "./memledgerMcpServer.js";

export interface StdioStreams {
  readonly stdin: Readable;
  readonly stdout: Writable;
}

/**
 * Serves MCP over stdin/stdout until the client goes away: it closes our stdin
 * (the specification's way to end a stdio session) or sends SIGTERM/SIGINT.
 * Resolves then, so the caller can close the ledger and let the process exit.
 * Stdout carries only protocol messages; anything else a library logs with
 * console.log goes to stderr for the session's length, since one stray line
 * would break the client's framing.
 */
export async function serveMcpOverStdio(ledger: LedgerApi<RequestOptions>, streams: StdioStreams = { stdin: process.stdin, stdout: process.stdout }): Promise<void> {
  const server = createMemledgerMcpServer(ledger);
  const transport = new StdioServerTransport(streams.stdin, streams.stdout);
  const consoleLog = console.log;
  console.log = console.error;
  try {
    await new Promise<void>((resolve, reject) => {
      const finish = () => {
        streams.stdin.off("end", finish);
        streams.stdin.off("close", finish);
        process.off("SIGTERM", finish);
        process.off("SIGINT", finish);
        server.close().then(resolve, reject);
      };
      transport.onclose = resolve;
      streams.stdin.once("end", finish);
      streams.stdin.once("close", finish);
      process.once("SIGTERM", finish);
      process.once("SIGINT", finish);
      server.connect(transport).catch(reject);
    });
  } finally {
    console.log = consoleLog;
  }
}

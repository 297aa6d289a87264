import { Option, type Command } from "commander";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { serveMcpOverStdio } from "../mcp/mcpStdio.js";

/** What the command needs from main.ts's program: its leaf builder and its ledger session. */
export interface McpCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string, opts?: { ownReason?: boolean }): Command;
  withLedger(
    cmd: Command,
    work: (session: { readonly ledger: LedgerApi<RequestOptions>; readonly settings: { readonly server?: string; readonly apiKey?: string; readonly apiKeyFile?: string } }) => Promise<void>,
  ): Promise<void>;
}

const noKey = () =>
  Object.assign(
    new Error("memledger mcp needs an API key to act as: set MEMLEDGER_API_KEY (or --api-key, --api-key-file); an admin issues one with `memledger key issue <principalId> --scope write`"),
    { _tag: "Unauthenticated" },
  );

/**
 * `memledger mcp`: an MCP server on stdin/stdout for desktop and agent clients,
 * acting as the principal of an API key, either against a running server
 * (--server or --url, over HTTP) or in-process on a data directory (--data-dir, the key
 * checked by the ledger itself).
 */
export function registerMcpCommands(program: Command, host: McpCliHost): void {
  host
    .leaf(
      program,
      "mcp",
      "serve the Model Context Protocol on stdin/stdout (for Claude Desktop, Cursor, agents), as the principal of MEMLEDGER_API_KEY; against --server <url> or in-process on --data-dir",
    )
    .addOption(new Option("--url <url>", "the server to act on, as --server (the name MCP client configurations use)").env("MEMLEDGER_URL"))
    .addHelpText("after", "\nThe key is needed (MEMLEDGER_API_KEY, --api-key or --api-key-file): the model acts as that principal, with its grants, never as the local operator.\nSee docs/mcp.md for a client's configuration.")
    .action(async (options: { url?: string }, cmd: Command) => {
      if (options.url !== undefined && options.url !== "") {
        const server = cmd.getOptionValue("server") as string | undefined;
        if (server !== undefined && server !== options.url) throw Object.assign(new Error("give either --server or --url, not both"), { _tag: "InvalidRequest" });
        // The program reads the target from the command's own (hidden) --server, so --url simply sets it.
        cmd.setOptionValueWithSource("server", options.url, "cli");
      }
      // Said before a data directory is opened, so a misconfigured client learns it at once.
      const given = cmd.optsWithGlobals<{ apiKey?: string; apiKeyFile?: string; server?: string }>();
      if (!given.apiKey && given.apiKeyFile === undefined && !given.server) throw noKey();
      await host.withLedger(cmd, async ({ ledger, settings }) => {
        // Without a key an in-process ledger is the trusted local operator: never hand that to a model.
        if (settings.server === undefined && settings.apiKey === undefined && settings.apiKeyFile === undefined) throw noKey();
        await serveMcpOverStdio(ledger);
      });
    });
}

import { Option, type Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { ChatModelNotConfigured } from "../chatModel/chatModelErrors.js";
import { chatModelFromEnv } from "../config.js";
import type { MemChatOptions } from "../memChat/chatCompletionRequest.js";
import { localChatTurn, remoteChatTurn, runChatLoop, type ChatTurn } from "../memChat/chatSession.js";
import { positiveIntegerUpTo } from "./parse.js";

/** What the command needs from main.ts's program: its leaf builder and its ledger session. */
export interface ChatCliHost {
  leaf(parent: Command, nameAndArgs: string, description: string): Command;
  withLedger(
    cmd: Command,
    work: (session: {
      readonly ledger: LedgerApi<RequestOptions>;
      readonly ctx: RequestOptions;
      readonly settings: { readonly server?: string; readonly apiKey?: string; readonly apiKeyFile?: string; readonly dataDir: string };
    }) => Promise<void>,
  ): Promise<void>;
  /** Where user lines come from; standard input unless a test gives another. */
  readonly input?: () => Readable;
}

interface ChatOptions {
  cube?: string[];
  url?: string;
  remember?: boolean;
  rememberCube?: string;
  user?: string;
  session?: string;
  limit?: number;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `memledger chat`: mem_chat by hand. Against a server (--url or --server) it
 * streams from that server's `POST /v1/chat/completions` with the `openai`
 * client, so the server's chat model answers; in process it asks the model
 * that MEMLEDGER_CHAT_MODEL_* name, with the local ledger.
 */
export function registerChatCommands(program: Command, host: ChatCliHost): void {
  host
    .leaf(program, "chat", "chat with memory: each answer is given your memories from the cubes searched, and names the memories it used (type /exit or end the input to stop)")
    .option("--cube <cubeId>", "a cube to search (repeatable; default every cube you may read)", collect)
    .addOption(new Option("--url <url>", "the memledger server to chat through (as --server)").env("MEMLEDGER_URL"))
    .option("--remember", "send each user line and its answer to MemReader (needs write on the cube)")
    .option("--remember-cube <cubeId>", "the cube remembered into (default the only --cube)")
    .option("--user <userId>", "the user the remembered turns are about")
    .option("--session <sessionId>", "the session of the remembered turns")
    .option("--limit <n>", "memories given to the model per answer (default 8)", positiveIntegerUpTo(50))
    .addHelpText("after", "\nIn process the chat model is the one MEMLEDGER_CHAT_MODEL_URL and MEMLEDGER_CHAT_MODEL name (docs/llm.md); against a server, the server's.")
    .action(async (o: ChatOptions, cmd: Command) => {
      if (o.url !== undefined && o.url !== "") {
        const server = cmd.getOptionValue("server") as string | undefined;
        if (server !== undefined && server !== o.url) throw Object.assign(new Error("give either --server or --url, not both"), { _tag: "InvalidRequest" });
        cmd.setOptionValueWithSource("server", o.url, "cli");
      }
      const options: MemChatOptions = {
        ...(o.cube !== undefined ? { cubeIds: o.cube } : {}),
        ...(o.remember ? { remember: true } : {}),
        ...(o.rememberCube !== undefined ? { rememberCubeId: o.rememberCube } : {}),
        ...(o.user !== undefined ? { userId: o.user } : {}),
        ...(o.session !== undefined ? { sessionId: o.session } : {}),
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
      };
      // Checked before anything opens: a chat without a model would only fail on the first line.
      const localModel = cmd.getOptionValue("server") === undefined ? chatModelFromEnv(process.env) : undefined;
      if (cmd.getOptionValue("server") === undefined && localModel === undefined) throw new ChatModelNotConfigured("memledger chat (in process)");
      await host.withLedger(cmd, async ({ ledger, ctx, settings }) => {
        let turn: ChatTurn;
        if (settings.server !== undefined) {
          turn = remoteChatTurn(settings.server, apiKeyOf(settings), options);
        } else {
          const { openAiChatModel } = await import("../chatModel/openAiChatModel.js");
          const config = localModel!;
          const model = openAiChatModel({
            baseURL: config.baseURL,
            model: config.model,
            ...(config.apiKey !== undefined ? { apiKey: config.apiKey } : {}),
            ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
            ...(config.prices !== undefined ? { prices: config.prices } : {}),
          });
          turn = localChatTurn(ledger, model, options, ctx);
        }
        const input = host.input?.() ?? process.stdin;
        await runChatLoop({ input, out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), prompt: (input as { isTTY?: boolean }).isTTY === true }, turn);
      });
    });
}

/** The key the server call is made with: as the other commands find it (--api-key, --api-key-file, the data directory's admin.key). */
function apiKeyOf(settings: { readonly apiKey?: string; readonly apiKeyFile?: string; readonly dataDir: string }): string {
  if (settings.apiKey !== undefined) return settings.apiKey;
  if (settings.apiKeyFile !== undefined) return readFileSync(settings.apiKeyFile, "utf8").trim();
  const adminKey = join(settings.dataDir, "admin.key");
  if (existsSync(adminKey)) return readFileSync(adminKey, "utf8").trim();
  throw Object.assign(new Error("memledger chat against a server needs an API key: --api-key, MEMLEDGER_API_KEY or --api-key-file"), { _tag: "Unauthenticated" });
}

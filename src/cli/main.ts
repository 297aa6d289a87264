#!/usr/bin/env node
import { Argument, Command, CommanderError, Option } from "commander";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Grantee } from "../../domain/governance/governanceEvents.js";
import { cubePermissions, keyScopes, principalKinds, tenantRoles, type CubePermission, type KeyScope, type PrincipalKind, type TenantRole } from "../../domain/governance/permissions.js";
import type { FreezeReason, MemoryStatus } from "../../domain/memory/memoryEvents.js";
import type { MemoryType, Visibility } from "../../domain/memory/memoryContent.js";
import type { AsOf } from "../../projections/asOf.js";
import type { CommandContext } from "../command/commandContext.js";
import type { LedgerApi, RequestOptions } from "../app/ledgerApi.js";
import { openMemLedger } from "../app/memLedger.js";
import { connectMemLedger } from "../client/httpClient.js";
import { chatModelFromEnv, embedderFromEnv, rerankerFromEnv } from "../config.js";
import { searchModes, type SearchMode, type SearchRequest } from "../search/searchRequest.js";
import type { NewMemoryItem } from "../ingestion/ingestionService.js";
import type { JobStatus } from "../jobs/jobBusPort.js";
import type { WaitedJob } from "../jobs/waitForJob.js";
import type { MemoryEdit, NewMemoryInput, WriteOptions } from "../memory/memoryService.js";
import { schedulableCommands, type SchedulableCommand, type ScheduleRequest } from "../scheduler/scheduledCommands.js";
import {
  formatAddResult,
  formatBranch,
  formatCertificate,
  formatCertificates,
  formatCube,
  formatCubeList,
  formatDiff,
  formatHistory,
  formatJob,
  formatJobList,
  formatGrants,
  formatIssuedKey,
  formatJson,
  formatKey,
  formatKeyList,
  formatMemory,
  formatMemoryList,
  formatPrincipal,
  formatPrincipalList,
  formatReads,
  formatRollback,
  formatScheduled,
  formatSearch,
  formatReadModelLag,
  formatWaitedJob,
} from "./format.js";
import { registerSubjectExportCommands } from "./subjectExportCommands.js";
import { registerRedactionCommands } from "./redactionCommands.js";
import { registerTamperEvidenceCommands } from "./tamperEvidenceCommands.js";
import { registerComplianceReportCommands } from "./complianceReportCommands.js";
import { registerLegalHoldCommands } from "./legalHoldCommands.js";
import { registerRetentionCommands } from "./retentionCommands.js";
import { registerDecisionCommands } from "./decisionCommands.js";
import { registerFeedbackCommands } from "./feedbackCommands.js";
import { registerMcpCommands } from "./mcpCommands.js";
import { registerDocumentCommands } from "./documentCommands.js";
import { registerMemoryGraphCommands } from "./memoryGraphCommands.js";
import { registerCubeHotPlugCommands } from "./cubeHotPlugCommands.js";
import { registerMemReaderCommands } from "./memReaderCommands.js";
import { registerChatCommands } from "./chatCommands.js";
import { registerCubeInterchangeCommands } from "./cubeInterchangeCommands.js";
import { registerBackupCommands } from "./backupCommands.js";
import { rebuildWithProgress } from "./rebuildProgress.js";
import { commaList, confidence, delaySeconds, grantee, isoTime, metadataEntry, nonNegativeInteger, oneOf, positiveIntegerUpTo, repeatable, source } from "./parse.js";

/**
 * The `memledger` command line: one command per library call, run either on an
 * embedded data directory (in-process) or against a running server over HTTP.
 * Over HTTP it acts as the principal of its API key; in-process without a key
 * it is the trusted local operator (the root ledger), with a key that key's principal.
 */

export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** Runs the CLI on user arguments (argv without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const outcome: Outcome = { exitCode: 0 };
  const program = buildProgram(io, outcome);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return outcome.exitCode;
  } catch (error) {
    // Commander already printed its own message (usage errors, --help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.err(`error: ${messageOf(error)}\n`);
    return isUserError(error) ? 2 : 1;
  }
}

/** A command that succeeded can still report a result through the exit code (`job wait`). */
interface Outcome {
  exitCode: number;
}

/** `job wait`'s exit codes, also listed in its help. */
const waitExit = { done: 0, dead: 1, timedOut: 3 } as const;

/** The server answers one wait for at most this long; longer waits are made of several. */
const maxWaitPerCallMs = 120_000;

/** Global options, accepted before the command and (hidden) after it as well. */
interface Settings {
  readonly dataDir: string;
  readonly server?: string;
  readonly tenant: string;
  readonly actor: string;
  readonly reason?: string;
  readonly json: boolean;
  readonly apiKey?: string;
  readonly apiKeyFile?: string;
  readonly onBehalfOf?: string;
  readonly sessionId?: string;
}

/** What a command calls: a principal's ledger (over HTTP or in-process), or the root ledger of the local operator. */
type CliLedger = LedgerApi<RequestOptions> & { close(): Promise<void> };

interface Session {
  readonly ledger: CliLedger;
  /** Request options for a principal; for the root ledger the whole CommandContext (tenant and actor included). */
  readonly ctx: RequestOptions;
  readonly settings: Settings;
  /** Prints a result: raw JSON with --json, else the readable text. */
  print<T>(value: T, format: (value: T) => string): void;
}

const ownerKinds = ["user", "agent", "session", "project"] as const;
const freezeReasons: readonly FreezeReason[] = ["legal_hold", "retention", "other"];
const visibilities: readonly Visibility[] = ["private", "session", "cube", "tenant", "public"];
const jobStatuses: readonly JobStatus[] = ["waiting", "running", "failed", "done", "dead"];

function buildProgram(io: CliIo, outcome: Outcome): Command {
  const program = new Command("memledger")
    .description("Event-sourced memory for LLM agents: remember, edit, time-travel, roll back and forget.")
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .configureHelp({ showGlobalOptions: true })
    .addOption(new Option("--data-dir <dir>", "embedded data directory, opened in-process").env("MEMLEDGER_DATA_DIR").default("./data"))
    .addOption(new Option("--server <url>", "URL of a running memledger server; used unless --data-dir is given").env("MEMLEDGER_SERVER"))
    .addOption(new Option("--api-key <key>", "API key to act with (with --server always needed; the server's first admin key is in its <data dir>/admin.key)").env("MEMLEDGER_API_KEY"))
    .addOption(new Option("--api-key-file <path>", "read the API key from this file (e.g. <data dir>/admin.key)"))
    .addOption(new Option("--on-behalf-of <userId>", "the user this agent acts for, under that user's delegation"))
    .addOption(new Option("--session-id <sessionId>", "the session this command belongs to: that session's `session` units become visible (with a key)"))
    .addOption(new Option("--tenant <tenantId>", "tenant to act for (in-process without a key; otherwise the key's)").default("default"))
    .addOption(new Option("--actor <actor>", "who is acting, recorded in every event (in-process without a key; otherwise principal:<id> of the key)").default(defaultActor()))
    .addOption(new Option("--reason <why>", "why, recorded in every event this command writes"))
    .addOption(new Option("--json", "print raw JSON instead of text"))
    .addHelpText(
      "after",
      "\nWho acts:\n  --server <url>      the principal of the API key (--api-key, MEMLEDGER_API_KEY or --api-key-file;\n                      else <MEMLEDGER_DATA_DIR or ./data>/admin.key when that file exists)\n  --data-dir <dir>    the trusted local operator (actor system:cli:<os user>), or the key's principal when a key is given",
    );

  /** A leaf command: also accepts the global options after its name (hidden from its help). */
  const hiddenGlobals = new WeakMap<Command, readonly string[]>();
  const leaf = (parent: Command, nameAndArgs: string, description: string, opts: { ownReason?: boolean } = {}) => {
    const cmd = parent.command(nameAndArgs).description(description);
    const globals = [
      new Option("--data-dir <dir>"),
      new Option("--server <url>"),
      new Option("--api-key <key>"),
      new Option("--api-key-file <path>"),
      new Option("--on-behalf-of <userId>"),
      new Option("--session-id <sessionId>"),
      new Option("--tenant <tenantId>"),
      new Option("--actor <actor>"),
      ...(opts.ownReason ? [] : [new Option("--reason <why>")]),
      new Option("--json"),
    ];
    for (const option of globals) cmd.addOption(option.hideHelp());
    hiddenGlobals.set(
      cmd,
      globals.map((o) => o.attributeName()),
    );
    return cmd;
  };

  const settingsOf = (cmd: Command): Settings => {
    const global = program.opts<Record<string, unknown>>();
    const local = cmd.opts<Record<string, unknown>>();
    const localKeys = hiddenGlobals.get(cmd) ?? [];
    const given = (key: string) => localKeys.includes(key) && local[key] !== undefined;
    const value = (key: string) => (given(key) ? local[key] : global[key]);
    const fromCli = (key: string) => given(key) || program.getOptionValueSource(key) === "cli";
    if (fromCli("server") && fromCli("dataDir")) cmd.error("error: give either --data-dir or --server, not both", { exitCode: 2, code: "memledger.conflictingTarget" });
    const server = value("server") as string | undefined;
    const useServer = server !== undefined && server !== "" && !fromCli("dataDir");
    return {
      dataDir: value("dataDir") as string,
      ...(useServer ? { server } : {}),
      tenant: value("tenant") as string,
      actor: value("actor") as string,
      ...(value("reason") !== undefined ? { reason: value("reason") as string } : {}),
      json: value("json") === true,
      ...(value("apiKey") !== undefined && value("apiKey") !== "" ? { apiKey: value("apiKey") as string } : {}),
      ...(value("apiKeyFile") !== undefined ? { apiKeyFile: value("apiKeyFile") as string } : {}),
      ...(value("onBehalfOf") !== undefined ? { onBehalfOf: value("onBehalfOf") as string } : {}),
      ...(value("sessionId") !== undefined ? { sessionId: value("sessionId") as string } : {}),
    };
  };

  /** The API key to act with: --api-key-file, else --api-key / MEMLEDGER_API_KEY, else (with --server) the local admin key file if there is one. */
  const apiKeyOf = (cmd: Command, settings: Settings): string | undefined => {
    const usage = (message: string, code: string): never => cmd.error(`error: ${message}`, { exitCode: 2, code });
    const readKey = (path: string): string => {
      let text: string;
      try {
        text = readFileSync(path, "utf8").trim();
      } catch (error) {
        return usage(`cannot read the API key file ${path} (${messageOf(error)}); check the path and that you may read it`, "memledger.apiKeyFile");
      }
      return text === "" ? usage(`the API key file ${path} is empty`, "memledger.apiKeyFile") : text;
    };
    if (settings.apiKeyFile !== undefined) {
      const fromCli = program.getOptionValueSource("apiKey") === "cli" || cmd.getOptionValueSource("apiKey") === "cli";
      if (fromCli) usage("give either --api-key or --api-key-file, not both", "memledger.conflictingApiKey");
      return readKey(settings.apiKeyFile);
    }
    if (settings.apiKey !== undefined) return settings.apiKey;
    if (settings.server === undefined) return undefined;
    const adminKeyFile = join(settings.dataDir, "admin.key");
    if (existsSync(adminKeyFile)) return readKey(adminKeyFile);
    return usage(
      `${settings.server} needs an API key: give --api-key <key>, set MEMLEDGER_API_KEY, or --api-key-file <path>. The server wrote its first admin key to <its data dir>/admin.key on first start; an admin issues more with \`memledger key issue <principalId> --scope read|write|admin\``,
      "memledger.noApiKey",
    );
  };

  /** The ledger a command runs on: over HTTP, a principal in-process, or the root ledger as the local operator. */
  const openLedger = async (cmd: Command, settings: Settings, ctx: CommandContext): Promise<{ ledger: CliLedger; ctx: RequestOptions }> => {
    const apiKey = apiKeyOf(cmd, settings);
    const options: RequestOptions = { ...(settings.reason !== undefined ? { reason: settings.reason } : {}) };
    if (settings.server !== undefined) {
      const remote = await connectMemLedger(settings.server, {
        apiKey: apiKey!,
        defaultOptions: options,
        ...(settings.onBehalfOf !== undefined ? { onBehalfOf: settings.onBehalfOf } : {}),
        ...(settings.sessionId !== undefined ? { sessionId: settings.sessionId } : {}),
      });
      return { ledger: remote, ctx: options };
    }
    // No worker in a one-shot command: it would start queued jobs and then hold the exit until they finish.
    const root = await openMemLedger({
      dataDir: settings.dataDir,
      defaultContext: ctx,
      worker: false,
      embedder: embedderFromEnv(process.env),
      // Commands that ask a model (feedback, fine reading) use the one the environment names (docs/llm.md).
      ...(chatModelFromEnv(process.env) !== undefined ? { chatModel: chatModelFromEnv(process.env)! } : {}),
      // `memledger search` reranks like the server does when MEMLEDGER_RERANKER is set (docs/retrieval.md).
      ...(rerankerFromEnv(process.env) !== undefined ? { rerankerConfig: rerankerFromEnv(process.env)! } : {}),
      // A one-shot command may open a directory whose read models are far behind: let a search wait for them.
      searchConsistencyTimeoutMs: 120_000,
    });
    // The root ledger takes tenant and actor from the context it is given: the local operator's.
    if (apiKey === undefined) return { ledger: root, ctx };
    try {
      const acting = await root.authenticate(apiKey, settings.onBehalfOf !== undefined ? { onBehalfOf: settings.onBehalfOf } : {});
      const inSession = settings.sessionId !== undefined ? { ...acting, sessionId: settings.sessionId } : acting;
      return { ledger: { ...root.as(inSession), close: () => root.close() }, ctx: options };
    } catch (error) {
      await root.close().catch(() => undefined);
      throw error;
    }
  };

  /** Opens the ledger for one command, runs it, and always closes the ledger. */
  const withLedger = async (cmd: Command, work: (session: Session) => Promise<void>): Promise<void> => {
    const settings = settingsOf(cmd);
    const rootCtx: CommandContext = { tenantId: settings.tenant, actor: settings.actor, ...(settings.reason !== undefined ? { reason: settings.reason } : {}) };
    const { ledger, ctx } = await openLedger(cmd, settings, rootCtx);
    const print = <T>(value: T, format: (value: T) => string) => io.out(`${settings.json ? formatJson(value) : format(value)}\n`);
    let failed = false;
    try {
      await work({ ledger, ctx, settings, print });
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // A failing close must not hide the command's own error.
      await ledger.close().catch((error: unknown) => {
        if (!failed) throw error;
      });
    }
  };

  // ---- cubes -------------------------------------------------------------
  const cube = program.command("cube").description("create, list, inspect, roll back and branch cubes");

  leaf(cube, "create <name>", "create a cube (a named group of memories)")
    .addOption(new Option("--owner-kind <kind>", "kind of owner").choices(ownerKinds).makeOptionMandatory())
    .requiredOption("--owner-id <id>", "id of the owner")
    .option("--id <cubeId>", "cube id (default: a fresh id)")
    .option("--description <text>", "what the cube is for")
    .action((name: string, o: { ownerKind: (typeof ownerKinds)[number]; ownerId: string; id?: string; description?: string }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => {
        const created = await ledger.cubes.create(
          { name, owner: { kind: o.ownerKind, id: o.ownerId }, ...(o.id !== undefined ? { cubeId: o.id } : {}), ...(o.description !== undefined ? { description: o.description } : {}) },
          ctx,
        );
        print(created, formatCube);
      }),
    );

  leaf(cube, "list", "list the tenant's cubes").action((_o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, settings, print }) => print(await ledger.cubes.list(settings.tenant), formatCubeList)),
  );

  leaf(cube, "show <cubeId>", "show one cube").action((cubeId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print(await ledger.cubes.get(cubeId), formatCube)),
  );

  leaf(cube, "memories <cubeId>", "list a cube's memories, now or as they stood at a past moment")
    .addOption(new Option("--as-of <time>", "as they stood at this ISO-8601 time").argParser(isoTime).conflicts("asOfPosition"))
    .addOption(new Option("--as-of-position <n>", "as they stood at this global log position").argParser(nonNegativeInteger))
    .option("--status <statuses>", "only these states, comma-separated (e.g. activated,archived)", commaList)
    .action((cubeId: string, o: { asOf?: string; asOfPosition?: number; status?: string[] }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => {
        const asOf: AsOf | undefined = o.asOf !== undefined ? { time: o.asOf } : o.asOfPosition !== undefined ? { position: o.asOfPosition } : undefined;
        const memories = await ledger.cubes.memories(cubeId, { ...(asOf ? { asOf } : {}), ...(o.status ? { statuses: o.status } : {}) });
        print(memories, formatMemoryList);
      }),
    );

  leaf(cube, "rollback <cubeId>", "undo every change made to the cube's memories after a time (with compensating events)")
    .requiredOption("--to <time>", "ISO-8601 time to roll back to", isoTime)
    .action((cubeId: string, o: { to: string }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.cubes.rollback(cubeId, o.to, ctx), formatRollback)),
    );

  leaf(cube, "branch <cubeId>", "copy the cube's memories as they were at a time into a new cube")
    .requiredOption("--as-of <time>", "ISO-8601 time to branch at", isoTime)
    .option("--id <cubeId>", "id of the new cube (default: a fresh id)")
    .option("--name <name>", "name of the new cube")
    .action((cubeId: string, o: { asOf: string; id?: string; name?: string }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => {
        const target = { ...(o.id !== undefined ? { cubeId: o.id } : {}), ...(o.name !== undefined ? { name: o.name } : {}) };
        print(await ledger.cubes.branch(cubeId, o.asOf, target, ctx), formatBranch);
      }),
    );

  registerRedactionCommands(cube, { leaf, withLedger });
  registerCubeInterchangeCommands(cube, { leaf, withLedger, progress: (line) => io.err(line) });

  // ---- memories ----------------------------------------------------------
  const memory = program.command("memory").description("remember, edit, move through the lifecycle, and inspect memories");

  interface AddOptions {
    id?: string;
    key?: string;
    tag?: string[];
    type?: MemoryType;
    user?: string;
    agent?: string;
    session?: string;
    subject?: string;
    source?: NewMemoryInput["sources"];
    meta?: NewMemoryInput["metadata"];
    confidence?: number;
    visibility?: Visibility;
    eventTime?: string;
    activate: boolean;
    async?: boolean;
  }
  leaf(memory, "add <cubeId> <text>", "remember something in a cube")
    .option("--id <memoryId>", "memory id (default: a fresh id)")
    .option("--key <key>", "short title")
    .option("--tag <tag>", "a tag (repeatable)", repeatable)
    .option("--type <memoryType>", "working, long_term, user, preference, tool, skill, raw_source or custom:<name> (default: long_term)")
    .option("--user <userId>", "user the memory is about")
    .option("--agent <agentId>", "agent that produced it")
    .option("--session <sessionId>", "session it came from")
    .option("--subject <subjectId>", "whose personal data it is (default: the user, else the cube)")
    .option("--source <kind:ref>", "provenance, e.g. message:msg-1 (repeatable; kinds: message, document, url, tool, other)", source)
    .option("--meta <key=value>", "metadata entry (repeatable); numbers, true, false and null are typed", metadataEntry)
    .option("--confidence <n>", "confidence between 0 and 1 (default: 1)", confidence)
    .addOption(new Option("--visibility <visibility>", "who may see it (default: cube)").choices(visibilities))
    .option("--event-time <time>", "ISO-8601 time the remembered thing happened", isoTime)
    .option("--no-activate", "leave it generated (processing pending) instead of activated")
    .addOption(
      new Option("--async", "return at once with the memory id and a job that activates it (follow it with `job wait`); a server or another process runs the job").conflicts(
        "activate",
      ),
    )
    .action((cubeId: string, text: string, o: AddOptions, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => {
        const item: NewMemoryItem = {
          text,
          ...defined({
            memoryId: o.id,
            key: o.key,
            tags: o.tag,
            memoryType: o.type,
            userId: o.user,
            agentId: o.agent,
            sessionId: o.session,
            subjectId: o.subject,
            sources: o.source,
            metadata: o.meta,
            confidence: o.confidence,
            visibility: o.visibility,
            eventTime: o.eventTime,
          }),
        };
        if (o.async === true) {
          print(await ledger.memories.add(cubeId, { mode: "async", memories: [item] }, ctx), formatAddResult);
          return;
        }
        const input: NewMemoryInput = { cubeId, ...item, activate: o.activate };
        print(await ledger.memories.create(input, ctx), formatMemory);
      }),
    );

  leaf(memory, "get <memoryId>", "show a memory, now or as it stood at a past moment")
    .addOption(new Option("--as-of-revision <n>", "as of this revision of the memory").argParser(nonNegativeInteger).conflicts(["asOfTime", "asOfPosition"]))
    .addOption(new Option("--as-of-time <time>", "as of this ISO-8601 time").argParser(isoTime).conflicts("asOfPosition"))
    .addOption(new Option("--as-of-position <n>", "as of this global log position").argParser(nonNegativeInteger))
    .action((memoryId: string, o: { asOfRevision?: number; asOfTime?: string; asOfPosition?: number }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => {
        const asOf: AsOf | undefined =
          o.asOfRevision !== undefined ? { revision: o.asOfRevision } : o.asOfTime !== undefined ? { time: o.asOfTime } : o.asOfPosition !== undefined ? { position: o.asOfPosition } : undefined;
        print(await ledger.memories.get(memoryId, asOf), formatMemory);
      }),
    );

  interface EditOptions {
    text?: string;
    key?: string;
    tag?: string[];
    type?: MemoryType;
    confidence?: number;
    visibility?: Visibility;
    expectedRevision?: number;
  }
  withExpectedRevision(leaf(memory, "edit <memoryId>", "change a memory (a new version; history keeps the old one)"))
    .option("--text <text>", "new text")
    .option("--key <key>", "new short title")
    .option("--tag <tag>", "tags, replacing the current ones (repeatable)", repeatable)
    .option("--type <memoryType>", "new memory type")
    .option("--confidence <n>", "new confidence between 0 and 1", confidence)
    .addOption(new Option("--visibility <visibility>", "new visibility").choices(visibilities))
    .action((memoryId: string, o: EditOptions, cmd: Command) => {
      const content = defined({ text: o.text, key: o.key, tags: o.tag });
      const attributes = defined({ memoryType: o.type, confidence: o.confidence, visibility: o.visibility });
      if (Object.keys(content).length === 0 && Object.keys(attributes).length === 0) {
        cmd.error("error: nothing to edit; give at least one of --text, --key, --tag, --type, --confidence, --visibility", { exitCode: 2, code: "memledger.emptyEdit" });
      }
      const edit: MemoryEdit = { ...(Object.keys(content).length > 0 ? { content } : {}), ...(Object.keys(attributes).length > 0 ? { attributes } : {}) };
      return withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.memories.edit(memoryId, edit, ctx, writeOptions(o)), formatMemory));
    });

  const transition = (name: "activate" | "archive" | "restore", description: string) =>
    withExpectedRevision(leaf(memory, `${name} <memoryId>`, description)).action((memoryId: string, o: { expectedRevision?: number }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.memories[name](memoryId, ctx, writeOptions(o)), formatMemory)),
    );
  transition("activate", "activate a generated memory (make it retrievable)");
  transition("archive", "archive a memory (kept, no longer retrieved)");
  transition("restore", "restore an archived memory");

  leaf(memory, "erase <memoryId>", "crypto-shred a memory: its content becomes unreadable for good").action((memoryId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.memories.erase(memoryId, ctx), formatMemory)),
  );

  withExpectedRevision(leaf(memory, "merge <memoryId> <successorId>", "merge a memory into a live successor"))
    .action((memoryId: string, successorId: string, o: { expectedRevision?: number }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.memories.merge(memoryId, successorId, ctx, writeOptions(o)), formatMemory)),
    );

  withExpectedRevision(
    leaf(memory, "freeze <memoryId>", "freeze a memory (no change allowed); give the audit reason as a global --reason before the command", { ownReason: true }),
  )
    .addOption(new Option("--reason <freezeReason>", "why it is frozen").choices(freezeReasons).makeOptionMandatory())
    .option("--note <note>", "free note, e.g. a case number")
    .action((memoryId: string, o: { reason: FreezeReason; note?: string; expectedRevision?: number }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.memories.freeze(memoryId, o.reason, o.note, ctx, writeOptions(o)), formatMemory)),
    );

  withExpectedRevision(leaf(memory, "revert <memoryId>", "bring a memory back to an earlier revision (a compensating event)"))
    .argument("<toRevision>", "revision to go back to", nonNegativeInteger)
    .action((memoryId: string, toRevision: number, o: { expectedRevision?: number }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.memories.revert(memoryId, toRevision, ctx, writeOptions(o)), formatMemory)),
    );

  interface ScheduleOptions {
    at?: string;
    after?: number;
    freezeReason?: FreezeReason;
    note?: string;
  }
  leaf(memory, "schedule <memoryId>", "run archive, freeze or activate on a memory later (a durable delayed job; a server or another process runs it when due)")
    .addArgument(new Argument("<command>", "what to do when due").choices(schedulableCommands))
    .addOption(new Option("--at <time>", "when: an ISO-8601 time").argParser(isoTime).conflicts("after"))
    .addOption(new Option("--after <seconds>", "when: this many seconds from now").argParser(delaySeconds))
    .addOption(new Option("--freeze-reason <freezeReason>", "why it will be frozen (required with freeze)").choices(freezeReasons))
    .option("--note <note>", "free note kept with the freeze, e.g. a case number")
    .action((memoryId: string, command: SchedulableCommand, o: ScheduleOptions, cmd: Command) => {
      if (o.at === undefined && o.after === undefined) cmd.error("error: say when: give --at <time> or --after <seconds>", { exitCode: 2, code: "memledger.scheduleWhen" });
      if (command === "freeze" && o.freezeReason === undefined) {
        cmd.error(`error: scheduling a freeze needs --freeze-reason (${freezeReasons.join(", ")})`, { exitCode: 2, code: "memledger.scheduleFreezeReason" });
      }
      // Only a freeze records a reason and a note; silently dropping them would mislead.
      if (command !== "freeze" && (o.freezeReason !== undefined || o.note !== undefined)) {
        cmd.error(`error: --freeze-reason and --note go with freeze only; to say why the ${command} is scheduled, use the global --reason`, { exitCode: 2, code: "memledger.scheduleFreezeOnly" });
      }
      const request: ScheduleRequest = {
        command,
        ...(o.at !== undefined ? { at: o.at } : { afterSeconds: o.after }),
        ...defined({ freezeReason: o.freezeReason, note: o.note }),
      };
      return withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.memories.schedule(memoryId, request, ctx), (job) => formatScheduled(memoryId, command, job)));
    });

  leaf(memory, "history <memoryId>", "every event of a memory: what, who, when, why").action((memoryId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print(await ledger.memories.history(memoryId), (entries) => formatHistory(memoryId, entries))),
  );

  leaf(memory, "diff <memoryId>", "field-by-field difference between two revisions")
    .argument("<from>", "older revision", nonNegativeInteger)
    .argument("<to>", "newer revision", nonNegativeInteger)
    .action((memoryId: string, from: number, to: number, _o: unknown, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => print(await ledger.memories.diff(memoryId, from, to), formatDiff)),
    );

  // ---- jobs --------------------------------------------------------------
  const job = program
    .command("job")
    .description("follow the background jobs: async adds and scheduled commands")
    .addHelpText("after", "\nOn a data directory the CLI never runs jobs itself: a server (or another process with a worker) on the same directory does.");

  leaf(job, "show <jobId>", "a job's status, attempts, last error and result").action((jobId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print(await ledger.jobs.get(jobId), formatJob)),
  );

  leaf(job, "wait <jobId>", "wait until a job is done or dead, or the timeout passes")
    .option("--timeout <ms>", "how long to wait at most, in milliseconds (default: 30000)", nonNegativeInteger)
    .addHelpText("after", "\nExit status:\n  0  the job is done\n  1  the job is dead (failed every attempt; see its last error, then `job retry`)\n  3  the timeout passed first (the job is still waiting, running or failed)")
    .action((jobId: string, o: { timeout?: number }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => {
        const timeoutMs = o.timeout ?? 30_000;
        const waited = await waitUpTo(ledger, jobId, timeoutMs);
        outcome.exitCode = !waited.finished ? waitExit.timedOut : waited.job.status === "dead" ? waitExit.dead : waitExit.done;
        print(waited, (w) => formatWaitedJob(w, timeoutMs));
      }),
    );

  interface JobListOptions {
    cube?: string;
    status?: JobStatus;
    kind?: string;
    limit?: number;
  }
  leaf(job, "list", "jobs, newest first")
    .option("--cube <cubeId>", "only this cube's jobs")
    .addOption(new Option("--status <status>", "only jobs in this state").choices(jobStatuses))
    .option("--kind <kind>", "only this kind (memory.ingest, memory.command)")
    .option("--limit <n>", "at most this many, 1 to 1000 (default: 100)", positiveIntegerUpTo(1_000))
    .action((o: JobListOptions, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => print(await ledger.jobs.list(defined({ cubeId: o.cube, status: o.status, kind: o.kind, limit: o.limit })), formatJobList)),
    );

  leaf(job, "retry <jobId>", "send a dead job back to the queue with a fresh attempt budget").action((jobId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print(await ledger.jobs.retry(jobId), formatJob)),
  );

  // ---- search ------------------------------------------------------------
  interface SearchOptions {
    cube: string[];
    topK?: number;
    mode?: SearchMode;
    asOf?: string;
    status?: string;
    tag?: string[];
    type?: string[];
    includeArchived?: boolean;
    minScore?: number;
  }
  leaf(program, "search <query>", "hybrid search (vector + BM25 + graph) over one or more cubes, now or as of a moment")
    .requiredOption("--cube <cubeId...>", "cube(s) to search; repeat or list several")
    .option("--top-k <n>", "results to return, 1 to 100 (default: 10)", positiveIntegerUpTo(100))
    .addOption(new Option("--mode <mode>", "retrievers to use (default: hybrid with an embedder, else bm25)").choices([...searchModes]))
    .option("--as-of <time|position>", "search the memory as it was at an ISO time or a global log position")
    .option("--status <statuses>", "comma-separated states to include, or any (default: activated,frozen)")
    .option("--tag <tag...>", "only units with at least one of these tags")
    .option("--type <memoryType...>", "only these memory types")
    .option("--include-archived", "search archived units too")
    .option("--min-score <score>", "drop results scoring below this", Number)
    .action((query: string, o: SearchOptions, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => {
        const statuses = o.status === undefined ? undefined : o.status === "any" ? ("any" as const) : (o.status.split(",").map((x) => x.trim()) as MemoryStatus[]);
        const filters = defined({ statuses, tags: o.tag, memoryTypes: o.type as MemoryType[] | undefined });
        const request: SearchRequest = {
          query,
          cubeIds: o.cube,
          ...defined({ topK: o.topK, mode: o.mode, includeArchived: o.includeArchived, minScore: o.minScore }),
          ...(Object.keys(filters).length > 0 ? { filters } : {}),
          ...(o.asOf !== undefined ? { asOf: /^\d+$/.test(o.asOf) ? { position: Number(o.asOf) } : { time: o.asOf } } : {}),
        };
        print(await ledger.search(request), formatSearch);
      }),
    );

  const readModel = program.command("read-model").description("the projections behind search: lag and rebuilds");
  leaf(readModel, "lag", "each read model's checkpoint and how far it is behind the log").action((_o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => {
      await ledger.readModels.catchUp(1_000);
      print(await ledger.readModels.lag(), formatReadModelLag);
    }),
  );
  leaf(readModel, "rebuild <name>", "project a read model from zero beside the live one and switch when caught up").action((name: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print({ name, ...(await rebuildWithProgress(ledger, name, { err: io.err })) }, (r) => `rebuilt ${r.name}: ${r.events} events folded in ${r.seconds.toFixed(1)} s`)),
  );

  // ---- the log itself: moving it between engines (src/migration/) --------
  const log = program.command("log").description("the event log itself: copy it between engines (embedded SQLite, EventStoreDB/KurrentDB), verify it");
  leaf(log, "copy", "copy every event (ids, streams, revisions, order) from one log into another; resumable")
    .requiredOption("--from <source>", "source log: a data directory (its events.db) or an esdb:// / kurrentdb:// connection string")
    .requiredOption("--to <target>", "target log, same forms; must be empty or hold an interrupted copy of the source")
    .option("--verify", "then compare both logs: streams, events, global order and folded memory/cube state")
    .option("--batch-size <n>", "events read per page, 1 to 10000 (default: 1000)", positiveIntegerUpTo(10_000))
    .option("--keys <dataDir>", "data directory whose key store unseals content for --verify (default: the source's, else the target's)")
    .option("--allow-other-streams", "leave target streams the source does not have alone (a shared EventStoreDB) instead of refusing")
    .addHelpText(
      "after",
      "\nOnly the log is copied: the key store (keys/keys.db in the data directory) must go with it. Stop writers first, or run the copy again to top it up.\nExit status:\n  0  copied (and verified)\n  1  --verify found differences, or an engine failed\n  2  refused: the target is not empty nor an interrupted copy of the source, or bad arguments\n  130  interrupted (Ctrl-C) after a whole batch; run the same command again to resume",
    )
    .action(async (o: { from: string; to: string; verify?: boolean; batchSize?: number; keys?: string; allowOtherStreams?: boolean }, cmd: Command) => {
      const { runLogCopyCommand } = await import("./logCopyCommand.js");
      outcome.exitCode = await runLogCopyCommand({ ...o, json: settingsOf(cmd).json }, io);
    });
  leaf(log, "verify", "check the embedded log of --data-dir: SQLite's integrity check, every event's checksum, each stream's revisions; names the first damaged event")
    .addHelpText("after", "\nReads the log only (safe while a server runs on it); on damage it writes events.db.damaged beside it, which keeps a server from taking writes after a restart, and removes that file once the log checks out.\nExit status:\n  0  intact\n  1  damaged (the report names the first damaged event and what to do)\n  2  bad arguments, or no event log in that directory")
    .action(async (_o: unknown, cmd: Command) => {
      const { runLogVerifyCommand } = await import("./logVerifyCommand.js");
      const settings = settingsOf(cmd);
      outcome.exitCode = runLogVerifyCommand({ dataDir: settings.dataDir, json: settings.json }, io);
    });

  // ---- subjects ----------------------------------------------------------
  const subject = program.command("subject").description("forget a data subject and prove it");

  leaf(subject, "erase <subjectId>", "crypto-shred every memory of a subject and record an erasure certificate").action((subjectId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.subjects.erase(subjectId, ctx), formatCertificate)),
  );

  leaf(subject, "erasures <subjectId>", "the erasure certificates recorded for a subject").action((subjectId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print(await ledger.subjects.certificates(subjectId), (certificates) => formatCertificates(subjectId, certificates))),
  );
  registerSubjectExportCommands(subject, { leaf, withLedger });
  registerComplianceReportCommands(program, { leaf, withLedger });
  registerLegalHoldCommands(program, { leaf, withLedger });
  registerRetentionCommands(program, { leaf, withLedger });
  registerDecisionCommands(program, { leaf, withLedger });
  registerMcpCommands(program, { leaf, withLedger });
  registerDocumentCommands(program, { leaf, withLedger });
  registerMemoryGraphCommands(program, { leaf, withLedger });
  registerCubeHotPlugCommands(program, { leaf, withLedger });
  registerMemReaderCommands(program, { leaf, withLedger });
  registerBackupCommands(program, { leaf, settingsOf, io, outcome });
  registerFeedbackCommands(program, { leaf, withLedger });
  registerChatCommands(program, { leaf, withLedger });

  // ---- governance: principals, keys, cube grants, delegations (docs/governance.md) ----
  const principal = program.command("principal").description("the tenant's users, agents and admins: roles, groups, disabling");

  interface PrincipalOptions {
    kind: PrincipalKind;
    role?: TenantRole[];
    group?: string[];
    name?: string;
  }
  leaf(principal, "create <principalId>", "create a principal (a user, an agent or an admin) with tenant roles")
    .addOption(new Option("--kind <kind>", "what it is").choices(principalKinds).makeOptionMandatory())
    .option("--role <role>", `a tenant role (repeatable): ${tenantRoles.join(", ")}`, oneOf(tenantRoles))
    .option("--group <group>", "a group it joins (repeatable); cube grants may name groups", repeatable)
    .option("--name <displayName>", "a readable name")
    .action((principalId: string, o: PrincipalOptions, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) =>
        print(await ledger.governance.createPrincipal({ principalId, kind: o.kind, ...defined({ roles: o.role, groups: o.group, displayName: o.name }) }, ctx), formatPrincipal),
      ),
    );

  leaf(principal, "list", "the tenant's principals, now or as they stood at a time")
    .option("--as-of <time>", "as they stood at this ISO-8601 time", isoTime)
    .action((o: { asOf?: string }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => print(await ledger.governance.principals(o.asOf !== undefined ? { time: o.asOf } : undefined), formatPrincipalList)),
    );

  leaf(principal, "show <principalId>", "one principal: kind, roles, groups, disabled or not")
    .option("--as-of <time>", "as it stood at this ISO-8601 time", isoTime)
    .action((principalId: string, o: { asOf?: string }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => print(await ledger.governance.principal(principalId, o.asOf !== undefined ? { time: o.asOf } : undefined), formatPrincipal)),
    );

  for (const [name, description] of [
    ["grant-role", "give a principal a tenant role (it applies to every cube of the tenant)"],
    ["revoke-role", "take a tenant role from a principal"],
  ] as const) {
    leaf(principal, `${name} <principalId>`, description)
      .addArgument(new Argument("<role>", "the tenant role").choices(tenantRoles))
      .action((principalId: string, role: TenantRole, _o: unknown, cmd: Command) =>
        withLedger(cmd, async ({ ledger, ctx, print }) =>
          print(await (name === "grant-role" ? ledger.governance.grantRole(principalId, role, ctx) : ledger.governance.revokeRole(principalId, role, ctx)), formatPrincipal),
        ),
      );
  }

  for (const [name, description] of [
    ["disable", "disable a principal: its keys are refused from the next request on"],
    ["enable", "enable a disabled principal"],
  ] as const) {
    leaf(principal, `${name} <principalId>`, description).action((principalId: string, _o: unknown, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.governance[name](principalId, ctx), formatPrincipal)),
    );
  }

  for (const [name, description] of [
    ["join-group", "add a principal to a group"],
    ["leave-group", "remove a principal from a group"],
  ] as const) {
    leaf(principal, `${name} <principalId> <group>`, description).action((principalId: string, group: string, _o: unknown, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) =>
        print(await (name === "join-group" ? ledger.governance.joinGroup(principalId, group, ctx) : ledger.governance.leaveGroup(principalId, group, ctx)), formatPrincipal),
      ),
    );
  }

  const key = program.command("key").description("API keys: issue (shown once), list, revoke");

  leaf(key, "issue <principalId>", "issue an API key for a principal; the whole key is printed once and never again")
    .requiredOption("--scope <scope>", `what the key may do (repeatable): ${keyScopes.join(", ")}`, oneOf(keyScopes))
    .option("--expires <time>", "ISO-8601 time the key stops working (default: never)", isoTime)
    .addHelpText("after", "\nOnly the key's hash is stored: keep the printed key, or issue a new one and revoke the lost one.")
    .action((principalId: string, o: { scope: KeyScope[]; expires?: string }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, ctx, print }) =>
        print(await ledger.governance.issueKey(principalId, { scopes: o.scope, ...(o.expires !== undefined ? { expiresAt: o.expires } : {}) }, ctx), formatIssuedKey),
      ),
    );

  leaf(key, "list", "API keys: id, prefix, scopes, expiry, revoked or not (never the secret)")
    .option("--principal <principalId>", "only this principal's keys")
    .action((o: { principal?: string }, cmd: Command) => withLedger(cmd, async ({ ledger, print }) => print(await ledger.governance.keys(o.principal), formatKeyList)));

  leaf(key, "revoke <keyId>", "revoke an API key: refused from the next request on").action((keyId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.governance.revokeKey(keyId, ctx), formatKey)),
  );

  const grant = program.command("grant").description("per-cube permissions for principals and groups");
  interface GrantOptions {
    to: Grantee;
    permission: CubePermission;
  }
  const grantCommand = (nameAndArgs: string, description: string) =>
    leaf(grant, nameAndArgs, description)
      .requiredOption("--to <grantee>", "principal:<id> or group:<name>", grantee)
      .addOption(new Option("--permission <permission>", "read, write (includes read) or admin (includes write)").choices(cubePermissions).makeOptionMandatory());
  grantCommand("cube <cubeId>", "grant read, write or admin on a cube").action((cubeId: string, o: GrantOptions, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.governance.grantCube(cubeId, o.to, o.permission, ctx), (grants) => formatGrants(cubeId, grants))),
  );
  grantCommand("revoke <cubeId>", "revoke a cube grant").action((cubeId: string, o: GrantOptions, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => print(await ledger.governance.revokeCube(cubeId, o.to, o.permission, ctx), (grants) => formatGrants(cubeId, grants))),
  );
  leaf(grant, "list <cubeId>", "who holds which permission on a cube, now or as of a time")
    .option("--as-of <time>", "as they stood at this ISO-8601 time", isoTime)
    .action((cubeId: string, o: { asOf?: string }, cmd: Command) =>
      withLedger(cmd, async ({ ledger, print }) => print(await ledger.governance.cubeGrants(cubeId, o.asOf !== undefined ? { time: o.asOf } : undefined), (grants) => formatGrants(cubeId, grants))),
    );

  const delegation = program.command("delegation").description("let an agent act for a user (it sends --on-behalf-of / X-On-Behalf-Of); both are recorded");
  leaf(delegation, "grant <userId> <agentId>", "let the agent act on behalf of the user").action((userId: string, agentId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => {
      await ledger.governance.delegate(userId, agentId, ctx);
      print({ userId, agentId, delegated: true }, () => `${agentId} may now act on behalf of ${userId}`);
    }),
  );
  leaf(delegation, "revoke <userId> <agentId>", "withdraw the delegation").action((userId: string, agentId: string, _o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, ctx, print }) => {
      await ledger.governance.revokeDelegation(userId, agentId, ctx);
      print({ userId, agentId, delegated: false }, () => `${agentId} may no longer act on behalf of ${userId}`);
    }),
  );

  const audit = program.command("audit").description("the read audit: who read a memory, what a principal read; tamper evidence of the log (verify, checkpoint, public-key)");
  interface ReadsOptions {
    from?: string;
    to?: string;
    after?: number;
    limit?: number;
  }
  const readsCommand = (nameAndArgs: string, description: string) =>
    leaf(audit, nameAndArgs, description)
      .option("--from <time>", "reads at or after this ISO-8601 time", isoTime)
      .option("--to <time>", "reads at or before this ISO-8601 time", isoTime)
      .option("--after <seq>", "reads after this sequence number (the next page)", nonNegativeInteger)
      .option("--limit <n>", "at most this many, 1 to 1000", positiveIntegerUpTo(1_000));
  readsCommand("who-read <memoryId>", "who read a memory, and when").action((memoryId: string, o: ReadsOptions, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print(await ledger.audit.whoRead(memoryId, defined({ from: o.from, to: o.to, after: o.after, limit: o.limit })), formatReads)),
  );
  readsCommand("reads-by <principalId>", "what a principal read, and when").action((principalId: string, o: ReadsOptions, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print(await ledger.audit.readsBy(principalId, defined({ from: o.from, to: o.to, after: o.after, limit: o.limit })), formatReads)),
  );
  registerTamperEvidenceCommands(audit, { leaf, settingsOf, withLedger, io, outcome });

  leaf(program, "whoami", "the principal this CLI acts as").action((_o: unknown, cmd: Command) =>
    withLedger(cmd, async ({ ledger, print }) => print(await ledger.governance.whoAmI(), formatPrincipal)),
  );

  return program;
}

/** One wait made of calls the server accepts, so a long --timeout works against a server too. */
async function waitUpTo(ledger: CliLedger, jobId: string, timeoutMs: number): Promise<WaitedJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waited = await ledger.jobs.wait(jobId, Math.min(maxWaitPerCallMs, Math.max(0, deadline - Date.now())));
    if (waited.finished || Date.now() >= deadline) return waited;
  }
}

function withExpectedRevision(cmd: Command): Command {
  return cmd.option("--expected-revision <n>", "fail unless the memory is at this revision (optimistic concurrency)", nonNegativeInteger);
}

function writeOptions(o: { expectedRevision?: number }): WriteOptions | undefined {
  return o.expectedRevision !== undefined ? { expectedRevision: o.expectedRevision } : undefined;
}

/** The entries whose value is not undefined. */
function defined<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

function defaultActor(): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers): fall back to the environment
  }
  return `system:cli:${name || process.env.USER || process.env.USERNAME || "unknown"}`;
}

function hasTag(error: unknown): error is { _tag: string } {
  return typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string";
}

/** A typed error the caller can fix (exit 2); storage trouble and server failures are not theirs (exit 1). */
function isUserError(error: unknown): boolean {
  if (!hasTag(error)) return false;
  const status = (error as { status?: unknown }).status;
  return !(typeof status === "number" && status >= 500) && !error._tag.endsWith("Unavailable") && error._tag !== "EventLogDamaged";
}

function messageOf(error: unknown): string {
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string" && (error as { message: string }).message !== "") {
    return (error as { message: string }).message;
  }
  return hasTag(error) ? error._tag : String(error);
}

/** True when this file is the program being run (also through an npm bin symlink). */
function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  process.exitCode = await runCli(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
}

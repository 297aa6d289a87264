/**
 * `npx vite-node bench/rebuildBench.ts -- --events 1000000 [--vector-events 100000] [--build-dir /dev/shm] [--all-together] [--breakdown] [--keep] [--page 20000]
 *  [--main-fixture <dir>] [--vector-fixture <dir>] [--fixtures-only] [--compare <tree>]`:
 * projection rebuild throughput per read model, beside the floor measured in the same run on the
 * same log: reading the whole log page by page and decoding it for projection (unsealing content).
 *
 * The log holds real memory events: per unit, the cube registration, MemoryCreated + MemoryActivated
 * (one append, as a sync add writes them), a MemoryEdited and a MemoryArchived; commands decided by
 * the domain's `decide`, content sealed with the unit's own data key from the key store, appended
 * through the event store port (durability "normal"), so decoding pays the real unsealing cost.
 *
 * The vector read model needs an embedding per content version; it is measured on a smaller log
 * (--vector-events) whose texts are the retrieval corpus, embedded once in .cache/bench/.
 * BENCH_DIR=<dir> is where the measured copy lives (default os.tmpdir()); --build-dir is where the
 * log is written first (tmpfs makes the key store's per-key fsync free; the copy is then measured).
 * --all-together also projects the three non-vector read models in one runner, as opening a ledger
 * without read models does; --breakdown times read, decode, prepare and apply of each read model
 * separately (the runner's loop, instrumented); --keep leaves the data directories in place.
 * --main-fixture / --vector-fixture measure data directories a run with --keep left behind instead of
 * writing new logs; --fixtures-only writes (and keeps) them without measuring.
 * --compare <tree>: a copy of the code before a change (`git archive <commit> | tar -x -C <tree>`, with
 * node_modules linked in); the three/four non-vector read models together and the vector read model are
 * then measured with that code and with this tree's, one after the other in the same process, on the same
 * logs, and the per-model runs are skipped.
 */
import { Effect } from "effect";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decide } from "../domain/memory/decide.js";
import { evolve } from "../domain/memory/evolve.js";
import type { MemoryEvent } from "../domain/memory/memoryEvents.js";
import { memoryStreamId } from "../domain/memory/memoryEvents.js";
import { initialMemoryState, type MemoryState } from "../domain/memory/memoryState.js";
import { defaultAttributes } from "../domain/memory/memoryContent.js";
import { cubeStreamId } from "../domain/cube/cubeEvents.js";
import { openMemLedger } from "../src/app/memLedger.js";
import { eventMetadata } from "../src/command/eventMetadata.js";
import type { CommandContext } from "../src/command/commandContext.js";
import { systemClock } from "../src/clock/clock.js";
import { KeyRing } from "../src/crypto/keyRing.js";
import { cachedEmbedder, openEmbeddingCache } from "../src/embedding/embeddingCache.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import type { EventStorePort } from "../src/eventStore/eventStorePort.js";
import { openSqliteEventStore } from "../src/eventStore/sqliteEventStore.js";
import { randomIds } from "../src/ids/idGenerator.js";
import type { KeyStorePort } from "../src/keyStore/keyStorePort.js";
import { openSqliteKeyStore } from "../src/keyStore/sqliteKeyStore.js";
import { encodeMemoryEvent } from "../src/memory/memoryEventCodec.js";
import { embeddedReadModels } from "../src/readModels/embeddedReadModels.js";
import { decodeForProjection } from "../src/readModels/projectionEventDecoder.js";
import { startProjectionRunner, type ReadModelDefinition } from "../src/readModels/projectionRunner.js";
import { vectorReadModel } from "../src/readModels/vector/sqliteVectorStore.js";
import { removeDir, tempDir } from "./payload.js";
import { fmtRate, fmtRatio, formatTable, nowMs, passFail, rng, type Table, writeResults } from "./stats.js";
import { benchCorpus, copyEmbeddingCache, measuredRevision, syntheticMemories, topicNames, warmEmbeddingCache, type WarmedCache } from "./syntheticMemories.js";

const { values: args } = parseArgs({
  // vite-node passes the "--" separator through; parseArgs would read everything after it as positionals.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    events: { type: "string", default: "1000000" },
    "vector-events": { type: "string", default: "100000" },
    "build-dir": { type: "string" },
    "all-together": { type: "boolean", default: false },
    breakdown: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    page: { type: "string", default: "20000" },
    "main-fixture": { type: "string" },
    "vector-fixture": { type: "string" },
    "fixtures-only": { type: "boolean", default: false },
    compare: { type: "string" },
  },
});
const totalEvents = Number(args.events);
const vectorEvents = Number(args["vector-events"]);
const measureRoot = process.env.BENCH_DIR ?? tmpdir();
const buildRoot = args["build-dir"] ?? measureRoot;
const target = 20_000;
const cubeId = "bench";
const ctx: CommandContext = { tenantId: "tenant-bench", actor: "agent:bench" };
const eventsPerUnit = 5;
/** Page size of the baseline scan and the instrumented loop: the runner's default rebuild batch (projectionRunner.ts). */
const page = Number(args.page);
const log = (line: string) => console.log(line);
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);

interface Fixture {
  readonly dir: string;
  readonly events: number;
  readonly units: number;
  readonly buildSeconds: number;
  readonly bytes: number;
}

function dirBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const path = join(dir, entry.name);
    return sum + (entry.isDirectory() ? dirBytes(path) : statSync(path).size);
  }, 0);
}

function accepted(state: MemoryState, command: Parameters<typeof decide>[1]): readonly MemoryEvent[] {
  const decision = decide(state, command);
  if (decision.kind === "rejected") throw new Error(`fixture command ${command.type} on ${command.memoryId} was rejected: ${decision.error.message}`);
  return decision.events;
}

/**
 * A data directory whose log holds `units` memory units of five events each, written in three
 * rounds (all creates, then all edits, then all archives) so a unit's events lie far apart as in
 * a real log. `texts(i)` gives unit i its created and edited text.
 */
async function buildFixture(label: string, units: number, texts: (i: number) => { created: string; edited: string; topic: string }): Promise<Fixture> {
  const started = nowMs();
  const buildDir = buildRoot === measureRoot ? tempDir(label) : mkdtempSync(join(buildRoot, `memledger-bench-${label}-`));
  const ledger = await openMemLedger({ dataDir: buildDir, eventStore: { kind: "sqlite", durability: "normal" }, worker: false });
  await ledger.cubes.create({ cubeId, name: "rebuild bench", owner: { kind: "agent", id: "agent:bench" } }, ctx);
  await ledger.close();
  removeDir(join(buildDir, "readmodels"));

  const store = openSqliteEventStore({ path: join(buildDir, "events.db"), durability: "normal" });
  const keyStore = openSqliteKeyStore(join(buildDir, "keys", "keys.db"));
  const random = rng(11);
  const unitIds: string[] = [];
  const keys: { keyId: string; material: Buffer; subjectId: string }[] = [];
  const states: MemoryState[] = [];
  const append = async (i: number, events: readonly MemoryEvent[]) => {
    const key = keys[i]!;
    const metadata = eventMetadata(ctx, systemClock, randomIds, { cubeId, keyId: key.keyId, subjectId: key.subjectId });
    const encoded = events.map((event) => encodeMemoryEvent(event, randomIds.newId(), metadata, key));
    await run(store.append(memoryStreamId(unitIds[i]!), encoded, states[i]!.revision < 0 ? "no_stream" : states[i]!.revision));
    states[i] = events.reduce(evolve, states[i]!);
  };
  const progress = (what: string, i: number) => {
    if ((i + 1) % 50_000 === 0) log(`  ${label}: ${what} ${(i + 1).toLocaleString("en-US")}/${units.toLocaleString("en-US")} (${((nowMs() - started) / 1000).toFixed(0)} s)`);
  };

  for (let i = 0; i < units; i += 1) {
    const memoryId = randomIds.newId();
    const { created, topic } = texts(i);
    const userId = `user-${Math.floor(random() * 1_000)}`;
    const key = await run(keyStore.createKey(userId, randomIds.newId()));
    unitIds.push(memoryId);
    keys.push({ keyId: key.keyId, material: key.material, subjectId: userId });
    states.push(initialMemoryState);
    const registration = { eventId: randomIds.newId(), type: "CubeMemoryRegistered", schemaVersion: 1, data: { cubeId, memoryId }, metadata: eventMetadata(ctx, systemClock, randomIds, { cubeId }) };
    await run(store.append(cubeStreamId(cubeId), [registration], "stream_exists"));
    const content = { text: created, tags: [topic], sources: [{ kind: "message" as const, ref: `msg-${i}` }], userId, metadata: { source: "bench" } };
    await append(i, accepted(initialMemoryState, { type: "create", memoryId, cubeId, content, attributes: defaultAttributes, activate: true }));
    progress("created", i);
  }
  for (let i = 0; i < units; i += 1) {
    await append(i, accepted(states[i]!, { type: "edit", memoryId: unitIds[i]!, content: { text: texts(i).edited } }));
    progress("edited", i);
  }
  for (let i = 0; i < units; i += 1) {
    await append(i, accepted(states[i]!, { type: "archive", memoryId: unitIds[i]! }));
    progress("archived", i);
  }
  const events = await run(store.headPosition());
  await run(store.close());
  await run(keyStore.close());
  let dir = buildDir;
  if (buildRoot !== measureRoot) {
    dir = tempDir(label);
    cpSync(buildDir, dir, { recursive: true });
    removeDir(buildDir);
  }
  return { dir, events, units, buildSeconds: (nowMs() - started) / 1000, bytes: dirBytes(dir) };
}

/** The code a measurement runs: this tree's, or the copy named by --compare (loaded from its own files). */
interface Code {
  readonly label: string;
  readonly startProjectionRunner: typeof startProjectionRunner;
  readonly embeddedReadModels: typeof embeddedReadModels;
  readonly decodeForProjection: typeof decodeForProjection;
}

const thisTree: Code = { label: "", startProjectionRunner, embeddedReadModels, decodeForProjection };

async function loadCode(tree: string, label: string): Promise<Code> {
  const load = (path: string) => import(pathToFileURL(join(tree, path)).href);
  const [runner, models, decoder] = await Promise.all([load("src/readModels/projectionRunner.ts"), load("src/readModels/embeddedReadModels.ts"), load("src/readModels/projectionEventDecoder.ts")]);
  return { label, startProjectionRunner: runner.startProjectionRunner, embeddedReadModels: models.embeddedReadModels, decodeForProjection: decoder.decodeForProjection };
}

/** A data directory a run with --keep left behind, measured again. */
async function reuseFixture(dir: string): Promise<Fixture> {
  const store = openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" });
  const events = await run(store.headPosition());
  await run(store.close());
  return { dir, events, units: Math.floor(events / eventsPerUnit), buildSeconds: 0, bytes: dirBytes(dir) };
}

interface Stores {
  readonly eventStore: EventStorePort;
  readonly keyStore: KeyStorePort;
}

function openStores(dir: string): Stores {
  return {
    eventStore: openSqliteEventStore({ path: join(dir, "events.db"), durability: "normal" }),
    keyStore: openSqliteKeyStore(join(dir, "keys", "keys.db")),
  };
}

/** The floor under any rebuild: read the log in the runner's page size, optionally decode it as the runner does. */
async function scan(stores: Stores, keyRing: KeyRing | undefined, decode = decodeForProjection): Promise<{ events: number; seconds: number }> {
  const started = nowMs();
  let events = 0;
  for (let after = 0; ; ) {
    const recorded = await run(stores.eventStore.readAll({ after, maxCount: page }));
    if (recorded.length === 0) break;
    if (keyRing) await decode(keyRing, recorded);
    events += recorded.length;
    after = recorded[recorded.length - 1]!.position;
  }
  return { events, seconds: (nowMs() - started) / 1000 };
}

interface Measured {
  readonly name: string;
  readonly events: number;
  /** First projection from zero with a fresh key ring (what a restart without read models pays). */
  readonly coldSeconds: number;
  /** runner.rebuild (= ledger.readModels.rebuild): a new generation from zero, key ring warm. */
  readonly rebuildSeconds: number;
}

/** One runner per read model so each has the thread to itself: cold projection from zero, then a rebuild beside it. */
async function measureModel(dir: string, stores: Stores, definitions: readonly ReadModelDefinition[], head: number, code: Code = thisTree): Promise<Measured> {
  const name = `${code.label}${definitions.map((d) => d.name).join(" + ")}`;
  const keyRing = new KeyRing(stores.keyStore);
  const directory = join(dir, `readmodels-${code.label.replace(/\W/g, "")}${definitions.map((d) => d.name).join("-")}`);
  const failures: unknown[] = [];
  const runner = await code.startProjectionRunner({ eventStore: stores.eventStore, keyRing, directory, definitions, onError: (_, error) => failures.push(error) });
  try {
    const coldStarted = nowMs();
    if (!(await runner.waitFor(head, 3_600_000))) throw new Error(`${name} did not catch up within an hour: ${JSON.stringify(await runner.lag())}`);
    const coldSeconds = (nowMs() - coldStarted) / 1000;
    log(`  ${name}: cold projection ${fmtRate(head / coldSeconds)} events/s`);
    let rebuildSeconds = Number.NaN;
    if (definitions.length === 1) {
      const rebuildStarted = nowMs();
      const rebuilt = await runner.rebuild(definitions[0]!.name);
      rebuildSeconds = (nowMs() - rebuildStarted) / 1000;
      if (rebuilt.events !== head) throw new Error(`${name} rebuilt to ${rebuilt.events}, expected ${head}`);
      log(`  ${name}: rebuild ${fmtRate(head / rebuildSeconds)} events/s`);
    }
    if (failures.length > 0) throw new Error(`${name} had ${failures.length} failed batches, first: ${String(failures[0])}`);
    return { name, events: head, coldSeconds, rebuildSeconds };
  } finally {
    await runner.stop();
    removeDir(directory);
  }
}

interface Breakdown {
  readonly name: string;
  readonly events: number;
  readonly readSeconds: number;
  readonly decodeSeconds: number;
  readonly prepareSeconds: number;
  readonly applySeconds: number;
}

/** The projection runner's loop (read a page after the checkpoint, decode, prepare, apply), with each step timed, into a fresh store. */
async function breakdown(dir: string, stores: Stores, definition: ReadModelDefinition): Promise<Breakdown> {
  const directory = join(dir, `breakdown-${definition.name}`);
  mkdirSync(directory, { recursive: true });
  const store = await definition.open(join(directory, `${definition.name}-1.db`));
  const keyRing = new KeyRing(stores.keyStore);
  const spent = { read: 0, decode: 0, prepare: 0, apply: 0 };
  let events = 0;
  try {
    for (;;) {
      let t = nowMs();
      const recorded = await run(stores.eventStore.readAll({ after: store.checkpoint(), maxCount: page }));
      spent.read += nowMs() - t;
      if (recorded.length === 0) break;
      t = nowMs();
      const batch = await decodeForProjection(keyRing, recorded);
      spent.decode += nowMs() - t;
      t = nowMs();
      await store.prepare?.(batch);
      spent.prepare += nowMs() - t;
      t = nowMs();
      await store.apply(batch);
      spent.apply += nowMs() - t;
      events += recorded.length;
    }
  } finally {
    await store.close();
    removeDir(directory);
  }
  const b = { name: definition.name, events, readSeconds: spent.read / 1000, decodeSeconds: spent.decode / 1000, prepareSeconds: spent.prepare / 1000, applySeconds: spent.apply / 1000 };
  log(`  ${definition.name} breakdown: read ${b.readSeconds.toFixed(1)} s, decode ${b.decodeSeconds.toFixed(1)} s, prepare ${b.prepareSeconds.toFixed(1)} s, apply ${b.applySeconds.toFixed(1)} s`);
  return b;
}

const baseDefinitions: readonly ReadModelDefinition[] = embeddedReadModels();

/** Read models measured together in one runner, with the given code. */
interface Measurement {
  readonly definitions: readonly ReadModelDefinition[];
  readonly code: Code;
}

interface Section {
  readonly fixture: Fixture;
  readonly rawScan: { events: number; seconds: number };
  readonly coldScan: { events: number; seconds: number };
  readonly warmScan: { events: number; seconds: number };
  /** With --compare: the same scan decoded by the code before the change. */
  readonly beforeWarmScan?: { events: number; seconds: number };
  readonly models: readonly Measured[];
  readonly breakdowns: readonly Breakdown[];
}

async function measureSection(fixture: Fixture, measurements: readonly Measurement[], before?: Code): Promise<Section> {
  const stores = openStores(fixture.dir);
  try {
    const head = await run(stores.eventStore.headPosition());
    const rawScan = await scan(stores, undefined);
    const keyRing = new KeyRing(stores.keyStore);
    const coldScan = await scan(stores, keyRing);
    const warmScan = await scan(stores, keyRing);
    const beforeWarmScan = before ? await scan(stores, keyRing, before.decodeForProjection) : undefined;
    log(`  scans: readAll ${fmtRate(rawScan.events / rawScan.seconds)}/s, + decode cold ${fmtRate(coldScan.events / coldScan.seconds)}/s, warm ${fmtRate(warmScan.events / warmScan.seconds)}/s`);
    const models: Measured[] = [];
    for (const { definitions, code } of measurements) models.push(await measureModel(fixture.dir, stores, definitions, head, code));
    const breakdowns: Breakdown[] = [];
    if (args.breakdown) for (const { definitions } of measurements) if (definitions.length === 1) breakdowns.push(await breakdown(fixture.dir, stores, definitions[0]!));
    return { fixture, rawScan, coldScan, warmScan, ...(beforeWarmScan ? { beforeWarmScan } : {}), models, breakdowns };
  } finally {
    await run(stores.eventStore.close());
    await run(stores.keyStore.close());
  }
}

/** The vector read model as the ledger defines it: the ONNX model behind a copy of the warmed embedding cache. */
async function vectorDefinition(dir: string, warmed: WarmedCache, code: Code = thisTree): Promise<{ definition: ReadModelDefinition; close: () => Promise<void> }> {
  const cachePath = join(dir, `embeddings${code.label ? `-${code.label.replace(/\W/g, "")}` : ""}.db`);
  await copyEmbeddingCache(cachePath);
  const raw = await openOnnxEmbedder({ modelDir: warmed.modelDir });
  const cache = openEmbeddingCache(cachePath);
  const embedder = cachedEmbedder(raw, cache);
  return {
    definition: code.embeddedReadModels({ embedder, cache }).find((d) => d.name === vectorReadModel)!,
    close: async () => {
      await raw.close();
      cache.close();
    },
  };
}

function sectionRows(section: Section): string[][] {
  const { fixture, rawScan, coldScan, warmScan } = section;
  const rate = (s: { events: number; seconds: number }) => s.events / s.seconds;
  const n = fixture.events.toLocaleString("en-US");
  return [
    [n, `readAll only (pages of ${page.toLocaleString("en-US")})`, `${rawScan.seconds.toFixed(1)} s`, fmtRate(rate(rawScan)), fmtRatio(rate(rawScan) / rate(warmScan)), ""],
    [n, "readAll + decode, cold key ring", `${coldScan.seconds.toFixed(1)} s`, fmtRate(rate(coldScan)), fmtRatio(rate(coldScan) / rate(warmScan)), ""],
    [n, "readAll + decode, warm key ring (baseline)", `${warmScan.seconds.toFixed(1)} s`, fmtRate(rate(warmScan)), "1.00×", ""],
    ...(section.beforeWarmScan
      ? [[n, "readAll + decode, warm key ring, before's decoder", `${section.beforeWarmScan.seconds.toFixed(1)} s`, fmtRate(rate(section.beforeWarmScan)), fmtRatio(rate(section.beforeWarmScan) / rate(warmScan)), ""]]
      : []),
    ...section.models.flatMap((m) => {
      const rows = [[n, `${m.name}: cold projection from zero`, `${m.coldSeconds.toFixed(1)} s`, fmtRate(m.events / m.coldSeconds), fmtRatio(m.events / m.coldSeconds / rate(warmScan)), passFail(m.events / m.coldSeconds >= target)]];
      if (Number.isFinite(m.rebuildSeconds)) {
        rows.push([n, `${m.name}: rebuild (runner.rebuild)`, `${m.rebuildSeconds.toFixed(1)} s`, fmtRate(m.events / m.rebuildSeconds), fmtRatio(m.events / m.rebuildSeconds / rate(warmScan)), passFail(m.events / m.rebuildSeconds >= target)]);
      }
      return rows;
    }),
  ];
}

async function main(): Promise<void> {
  const started = nowMs();
  const revision = measuredRevision();
  log(`# rebuild benchmark: ${totalEvents.toLocaleString("en-US")} events; vector on ${vectorEvents.toLocaleString("en-US")}; measured in ${measureRoot}, built in ${buildRoot}`);
  const sections: Section[] = [];

  const fixturesOnly = args["fixtures-only"];
  const keep = args.keep || fixturesOnly;
  const before = args.compare ? await loadCode(args.compare, "before: ") : undefined;
  const after: Code = before ? { ...thisTree, label: "after: " } : thisTree;

  // Main log: distinct synthetic sentences for every content version.
  const units = Math.floor((totalEvents - 3) / eventsPerUnit);
  const sentences = syntheticMemories(units * 2, 99);
  const main = args["main-fixture"]
    ? await reuseFixture(args["main-fixture"])
    : totalEvents === 0
      ? undefined
      : await buildFixture("rebuild", units, (i) => ({ created: sentences[i]!.text, edited: sentences[units + i]!.text, topic: sentences[i]!.topic }));
  if (main) log(`fixture: ${main.events.toLocaleString("en-US")} events, ${(main.bytes / 2 ** 20).toFixed(0)} MiB, built in ${main.buildSeconds.toFixed(0)} s (${main.dir})`);
  if (main) try {
    if (!fixturesOnly) {
      const together = (code: Code): Measurement => ({ definitions: code.embeddedReadModels(), code });
      const measurements: Measurement[] = before
        ? [together(before), together(after)]
        : [...baseDefinitions.map((d) => ({ definitions: [d], code: thisTree })), ...(args["all-together"] ? [together(thisTree)] : [])];
      sections.push(await measureSection(main, measurements, before));
    }
  } finally {
    if (keep) log(`  kept ${main.dir}`);
    else removeDir(main.dir);
  }

  // Vector log: texts from the retrieval corpus, so every embedding is a cache hit.
  let warmed: WarmedCache | undefined;
  if (vectorEvents > 0) {
    const vectorUnits = Math.floor((vectorEvents - 3) / eventsPerUnit);
    const corpus = benchCorpus(Math.max(vectorUnits * 2, 3_000));
    warmed = await warmEmbeddingCache(corpus.slice(0, vectorUnits * 2).map((m) => m.text), log);
    const topicOf = (i: number) => corpus[i]!.tags[0] ?? topicNames[0]!;
    const fixture = args["vector-fixture"]
      ? await reuseFixture(args["vector-fixture"])
      : await buildFixture("rebuild-vector", vectorUnits, (i) => ({ created: corpus[i]!.text, edited: corpus[vectorUnits + i]!.text, topic: topicOf(i) }));
    log(`vector fixture: ${fixture.events.toLocaleString("en-US")} events, built in ${fixture.buildSeconds.toFixed(0)} s (${fixture.dir})`);
    const vectors: Awaited<ReturnType<typeof vectorDefinition>>[] = [];
    for (const code of before ? [before, after] : [thisTree]) vectors.push(await vectorDefinition(fixture.dir, warmed, code));
    try {
      if (!fixturesOnly) sections.push(await measureSection(fixture, vectors.map((v, i) => ({ definitions: [v.definition], code: before ? [before, after][i]! : thisTree })), before));
    } finally {
      for (const vector of vectors) await vector.close();
      if (keep) log(`  kept ${fixture.dir}`);
      else removeDir(fixture.dir);
    }
  }
  if (fixturesOnly) return;

  const table: Table = {
    title: "Projection rebuild throughput",
    headers: ["log events", "what", "time", "events/s", "/ scan+decode (warm)", `≥ ${target.toLocaleString("en-US")}/s`],
    rows: sections.flatMap(sectionRows),
    notes: [
      `- log: per unit, CubeMemoryRegistered + (MemoryCreated + MemoryActivated) + MemoryEdited + MemoryArchived, written as all creates, then all edits, then all archives; every unit has its own data key (AES-256-GCM sealed content, as the memory service writes it); ${(main?.units ?? 0).toLocaleString("en-US")} units, distinct synthetic texts, ${((main?.bytes ?? 0) / 2 ** 20).toFixed(0)} MiB data directory`,
      "- each read model runs alone in its own projection runner with the runner's default batch sizes; 'cold': the runner following the log from zero with a fresh key ring (every data key read from the key store), as on opening a ledger without read models; 'rebuild': `runner.rebuild(name)`, what `ledger.readModels.rebuild(name)` calls, with the key ring warm",
      `- baseline: \`readAll\` pages of ${page.toLocaleString("en-US")} + \`decodeForProjection\` over the same log in the same run; ratio = events/s ÷ baseline events/s`,
      ...(vectorEvents > 0 && warmed
        ? [`- vector: measured on its own ${sections[sections.length - 1]!.fixture.events.toLocaleString("en-US")}-event log whose ${(sections[sections.length - 1]!.fixture.units * 2).toLocaleString("en-US")} content versions are retrieval-corpus texts, all answered by the embedding cache (${warmed.modelId}); ${warmed.embedded} texts had to be embedded first`]
        : []),
    ],
  };
  const facts = [
    `- date: ${new Date().toISOString()}; total run ${((nowMs() - started) / 1000).toFixed(0)} s`,
    `- cpus: ${cpus().length} (${cpus()[0]?.model ?? "?"}), memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}; shared and noisy, so compare ratios`,
    `- measured in ${measureRoot}; log built in ${buildRoot}; event store durability "normal"; read models synchronous=NORMAL (their own setting)`,
    `- code: ${revision}`,
  ];
  const breakdownRows = sections.flatMap((section) =>
    section.breakdowns.map((b) => {
      const total = b.readSeconds + b.decodeSeconds + b.prepareSeconds + b.applySeconds;
      const cell = (seconds: number) => `${seconds.toFixed(1)} s (${((seconds / total) * 100).toFixed(0)}%, ${((seconds / b.events) * 1e6).toFixed(1)} µs/event)`;
      return [b.events.toLocaleString("en-US"), b.name, cell(b.readSeconds), cell(b.decodeSeconds), cell(b.prepareSeconds), cell(b.applySeconds), fmtRate(b.events / total)];
    }),
  );
  const tables = [table];
  if (breakdownRows.length > 0) {
    tables.push({
      title: "Where a rebuild spends its time (the runner's loop, instrumented)",
      headers: ["log events", "read model", "readAll", "decode (unseal)", "prepare", "apply (fold + commit)", "events/s"],
      rows: breakdownRows,
      notes: [`- a separate pass per read model into a fresh store, pages of ${page.toLocaleString("en-US")}, cold key ring; decode is the same work in every lane (each lane decodes the log for itself)`],
    });
  }
  const markdown = ["# Rebuild benchmark", facts.join("\n"), ...tables.map(formatTable)].join("\n\n");
  console.log(`\n${markdown}`);
  console.log(`\nwritten to ${writeResults("rebuild", markdown)}`);
}

await main();

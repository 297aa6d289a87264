import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem, tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { runAppendBench, type AppendBenchOptions } from "./appendBench.js";
import { runAsOfBench, type AsOfBenchOptions } from "./asOfBench.js";
import { runCommandBench, type CommandBenchOptions } from "./commandBench.js";
import { prepareFixture, type FixtureOptions } from "./fixtures.js";
import { payloadSizes, removeDir } from "./payload.js";
import { fmtMs, fmtRate, formatTable, median, nowMs, passFail, type Table } from "./stats.js";

/**
 * `npm run bench`: appends, command latency, as-of reads, in that order.
 * BENCH_QUICK=1 shrinks every size for a smoke run (its figures mean nothing).
 * BENCH_DIR=<dir> puts the temporary databases elsewhere than os.tmpdir().
 */
const quick = process.env.BENCH_QUICK === "1";

const appendOptions: AppendBenchOptions = quick
  ? { secondsPerCase: 0.2, rounds: 1, batchSize: 100, streamLength: 1000, poolSize: 30_000, prefillEvents: 5000 }
  : { secondsPerCase: 1.5, rounds: 5, batchSize: 100, streamLength: 1000, poolSize: 250_000, prefillEvents: 5000 };
const fixtureOptions: FixtureOptions = quick
  ? { smallUnits: 20, largeUnits: 2, largeEvents: 1000, warmupUnits: 1 }
  : { smallUnits: 200, largeUnits: 20, largeEvents: 1000, warmupUnits: 2 };
const commandOptions: CommandBenchOptions = quick
  ? { baselineAppends: 100, warmEditsSmall: 2, warmEditsLarge: 2, warmupEdits: 600 }
  : { baselineAppends: 1000, warmEditsSmall: 5, warmEditsLarge: 25, warmupEdits: 600 };
const asOfOptions: AsOfBenchOptions = quick ? { reads: 50, seed: 42 } : { reads: 500, seed: 42 };

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "n/a";
  }
}

function machineFacts(): string[] {
  const cpu = cpus();
  const dir = process.env.BENCH_DIR ?? tmpdir();
  const fs = sh("df", ["-T", dir]).split("\n")[1]?.split(/\s+/)[1] ?? "n/a";
  return [
    `- date: ${new Date().toISOString()}`,
    `- nproc: ${sh("nproc", [])} (${cpu[0]?.model ?? "unknown cpu"})`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- node: ${process.version}, platform ${process.platform} ${process.arch}`,
    `- temp databases in ${dir} (filesystem ${fs})`,
    `- event payload: ${payloadSizes().data} bytes data JSON + ${payloadSizes().metadata} bytes metadata JSON`,
    quick ? "- BENCH_QUICK=1: smoke-run sizes, figures are not meaningful" : "- full sizes",
  ];
}

async function main(): Promise<void> {
  const started = nowMs();
  const facts = machineFacts();
  console.log(["# memledger benchmarks", "", ...facts, ""].join("\n"));
  const tables: Table[] = [];

  console.log("appends…");
  const append = await runAppendBench(appendOptions);
  tables.push(...append.tables);
  console.log(`\n${append.tables.map(formatTable).join("\n\n")}\n`);

  console.log("fixture (units built through the library API, durability normal)…");
  const fixture = await prepareFixture(fixtureOptions);
  console.log(`  fixture built in ${fixture.seconds.toFixed(1)} s`);
  try {
    console.log("commands…");
    const command = await runCommandBench(fixture, commandOptions);
    tables.push(...command.tables);
    console.log(`\n${command.tables.map(formatTable).join("\n\n")}\n`);

    console.log("as-of reads…");
    const asOf = await runAsOfBench(fixture, asOfOptions);
    tables.push(...asOf.tables);
    console.log(`\n${asOf.tables.map(formatTable).join("\n\n")}\n`);

    const batched = (d: "full" | "normal") => median(append.pairs.find((p) => p.durability === d && p.mode === "batched")!.store);
    const edit10 = (d: "full" | "normal", cache: "cold" | "warm") => command.cases.find((c) => c.durability === d && c.unitEvents === 10 && c.cache === cache && c.label.startsWith("edit"))!.summary.p50;
    const targetRows: string[][] = [];
    for (const d of ["full", "normal"] as const) targetRows.push([`batched appends, durability ${d}`, "≥ 20,000 events/s", `${fmtRate(batched(d))} events/s`, passFail(batched(d) >= 20_000)]);
    for (const d of ["full", "normal"] as const) {
      for (const cache of ["warm", "cold"] as const) targetRows.push([`edit p50, 10-event unit, ${cache}, durability ${d}`, "< 1 ms", fmtMs(edit10(d, cache)), passFail(edit10(d, cache) < 1)]);
    }
    for (const c of asOf.cases) targetRows.push([`as-of ${c.label.replace("get(id, ", "").replace(")", "")} p50, ${fixture.largeEvents}-event unit`, "< 5 ms", fmtMs(c.summary.p50), passFail(c.summary.p50 < 5)]);
    const targets: Table = { title: "Targets", headers: ["target", "wanted", "measured", "result"], rows: targetRows };
    tables.unshift(targets);
    console.log(formatTable(targets));

    const seconds = (nowMs() - started) / 1000;
    const md = ["# memledger benchmarks (latest run)", "", "Command: `npm run bench`", "", ...facts, `- total run time: ${seconds.toFixed(0)} s (fixture build ${fixture.seconds.toFixed(0)} s)`, "", tables.map(formatTable).join("\n\n"), ""].join("\n");
    const resultsDir = fileURLToPath(new URL("../../bench/results/", import.meta.url));
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(`${resultsDir}latest.md`, md);
    console.log(`\nwrote ${resultsDir}latest.md (total ${seconds.toFixed(0)} s)`);
  } finally {
    removeDir(fixture.dir);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

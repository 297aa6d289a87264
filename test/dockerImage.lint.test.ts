import { DockerfileParser, type Instruction } from "dockerfile-ast";
import type { Copy, From } from "dockerfile-ast";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The application image, checked statically: there is no Docker engine on the
 * machines that run the tests, so the image is not built here. The Dockerfile is
 * parsed with dockerfile-ast (the parser behind the Dockerfile language server)
 * and each stage's instructions are checked.
 */

const root = process.cwd();
const dockerfile = DockerfileParser.parse(readFileSync(join(root, "Dockerfile"), "utf8"));

interface Stage {
  readonly from: From;
  readonly instructions: readonly Instruction[];
}

function stages(): Stage[] {
  const out: { from: From; instructions: Instruction[] }[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") out.push({ from: instruction as From, instructions: [] });
    else out.at(-1)?.instructions.push(instruction);
  }
  return out;
}

const keyword = (stage: Stage, name: string) => stage.instructions.filter((i) => i.getKeyword() === name);
const text = (i: Instruction) => i.getArgumentsContent() ?? "";
const compilers = /\b(gcc|g\+\+|make|python3?|build-essential|clang|node-gyp)\b/;

describe("Dockerfile", () => {
  const [build, runtime, ...more] = stages();

  it("has two stages: a build stage on Node 20 and a slim Node 20 runtime", () => {
    expect(more).toEqual([]);
    expect(build?.from.getBuildStage()).toBe("build");
    expect(build?.from.getImageName()).toBe("node");
    expect(build?.from.getImageTag()).toMatch(/^20(\b|-)/);
    expect(runtime?.from.getImageName()).toBe("node");
    expect(runtime?.from.getImageTag()).toMatch(/^20-.*slim$/);
  });

  it("builds once in the build stage: the toolchain, a clean install, tsc, then production dependencies only", () => {
    const runs = keyword(build!, "RUN").map(text).join("\n");
    expect(runs).toMatch(compilers);
    expect(runs).toContain("npm ci");
    expect(runs).toContain("npm rebuild better-sqlite3");
    expect(runs).toContain("npm run build");
    expect(runs).toContain("npm prune --omit=dev");
  });

  it("the runtime stage installs no compiler, copies only built output from the build stage, and no sources", () => {
    for (const run of keyword(runtime!, "RUN")) expect(text(run)).not.toMatch(compilers);
    for (const run of keyword(runtime!, "RUN")) expect(text(run)).not.toMatch(/npm (ci|install)|apt-get install/);
    const copies = keyword(runtime!, "COPY") as Copy[];
    const fromBuild = copies.filter((c) => c.getFromFlag() !== null);
    for (const c of fromBuild) expect(c.getFromFlag()?.getValue()).toBe("build");
    const copiedFromBuild = fromBuild.flatMap((c) => c.getArguments().slice(0, -1).map((a) => a.getValue()));
    expect(copiedFromBuild).toEqual(expect.arrayContaining(["/app/node_modules", "/app/dist"]));
    // Never the whole build directory (sources, dev dependencies' leftovers) nor the repository's src/ or test/.
    expect(copiedFromBuild).not.toContain("/app");
    expect(copiedFromBuild).not.toContain("/app/src");
    const fromContext = copies.filter((c) => c.getFromFlag() === null).flatMap((c) => c.getArguments().slice(0, -1).map((a) => a.getValue()));
    for (const path of fromContext) {
      expect(["prompts", "src/viewer/public"]).toContain(path);
      expect(existsSync(join(root, path))).toBe(true);
    }
  });

  it("runs as a non-root user, with a data volume, a health check on /health/live and the compiled server", () => {
    const users = keyword(runtime!, "USER").map(text);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const order = runtime!.instructions.map((i) => i.getKeyword());
    expect(order.lastIndexOf("USER")).toBeLessThan(order.lastIndexOf("CMD"));
    expect(keyword(runtime!, "VOLUME").map(text).join(" ")).toContain("/data");
    expect(keyword(runtime!, "ENV").map(text).join(" ")).toMatch(/MEMLEDGER_DATA_DIR=\/data/);
    const health = keyword(runtime!, "HEALTHCHECK").map(text);
    expect(health).toHaveLength(1);
    expect(health[0]).toContain("/health/live");
    expect(health[0]).toContain("CMD");
    const cmd = text(keyword(runtime!, "CMD").at(-1)!);
    expect(cmd).toContain("dist/src/server/main.js");
    expect(existsSync(join(root, "src/server/main.ts"))).toBe(true);
  });

  it("every path the build stage copies from the context exists and is not ignored", () => {
    const ignored = readFileSync(join(root, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    for (const needed of [".git", "node_modules", "dist", "data", "test", "**/admin.key", "**/*.db"]) expect(ignored).toContain(needed);
    const sources = (keyword(build!, "COPY") as Copy[]).filter((c) => c.getFromFlag() === null).flatMap((c) => c.getArguments().slice(0, -1).map((a) => a.getValue()));
    expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "src", "domain", "projections"]));
    for (const path of sources) {
      expect(existsSync(join(root, path))).toBe(true);
      expect(ignored).not.toContain(path);
    }
    // What tsconfig.build.json compiles is all copied before `npm run build`.
    const include = (JSON.parse(readFileSync(join(root, "tsconfig.build.json"), "utf8")) as { include: string[] }).include;
    for (const dir of include) expect(sources).toContain(dir);
  });
});

describe("docker-compose.yml", () => {
  it("runs memledger from the image built by the Dockerfile, not npm install on a mounted checkout", () => {
    const compose = readFileSync(join(root, "docker-compose.yml"), "utf8");
    const service = compose.slice(compose.indexOf("\n  memledger:\n"), compose.indexOf("\nvolumes:"));
    expect(service).toMatch(/^\s+build: \.$/m);
    expect(service).not.toContain("npm install");
    expect(service).not.toMatch(/- \.:\/app/);
    expect(service).toContain("memledger-data:/data");
  });
});

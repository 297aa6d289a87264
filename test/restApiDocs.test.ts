import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../src/server/buildServer.js";
import { tempLedger } from "./support/tempLedger.js";

/** One row of the routes table of docs/rest-api.md. */
interface DocumentedRoute {
  readonly route: string;
  readonly fields: readonly string[];
  readonly returns: readonly string[];
}

interface Operation {
  readonly parameters?: readonly { readonly in: string; readonly name: string }[];
  readonly requestBody?: { readonly content: Record<string, { readonly schema: Schema }> };
  readonly responses?: Record<string, { readonly content?: Record<string, { readonly schema: Schema }> }>;
}
interface Schema {
  readonly properties?: Record<string, unknown>;
  readonly additionalProperties?: unknown;
}

/** Routes the OpenAPI document hides on purpose. */
const hiddenRoutes = new Set(["GET /health"]);

const cells = (row: string): string[] =>
  row
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());

/** `/memories/:id` and `/memories/{memoryId}` both become `/memories/{}`. */
const pathShape = (path: string): string => path.replace(/:[A-Za-z]+|\{[A-Za-z]+\}/g, "{}");

/** Top-level keys of the first `{ ... }` in a cell: `{ a, b?: x\|y, c: { d } }` gives a, b, c. */
function topLevelKeys(cell: string): string[] {
  const start = cell.indexOf("{");
  if (start < 0) return [];
  let depth = 0;
  let end = start;
  for (; end < cell.length; end += 1) {
    if (cell[end] === "{") depth += 1;
    if (cell[end] === "}" && --depth === 0) break;
  }
  // Keys may hold underscores: OpenAI's fields (max_tokens, stream_options) are accepted as OpenAI spells them.
  let inner = cell.slice(start + 1, end).replace(/`/g, "");
  // Nested objects, lists and placeholders say nothing about top-level keys.
  for (let before = ""; before !== inner; ) {
    before = inner;
    inner = inner.replace(/\{[^{}]*\}|\[[^[\]]*\]|<[^<>]*>/g, "…");
  }
  const keys: string[] = [];
  for (const element of inner.split(",")) {
    const [first, ...alternatives] = element.split("\\|");
    const head = /^\s*([A-Za-z][A-Za-z0-9_]*)\??\s*(:.*)?$/s.exec(first ?? "");
    if (head) keys.push(head[1]!);
    // `at?: <ISO> \| afterSeconds?: <n>`: an alternative key, not an enum value such as `freeze\|activate`.
    for (const alternative of alternatives) {
      const key = /^\s*([A-Za-z][A-Za-z0-9_]*)\??\s*:/.exec(alternative);
      if (key) keys.push(key[1]!);
    }
  }
  return keys;
}

const queryNames = (text: string): string[] => [...text.matchAll(/[?&]([A-Za-z]+)=/g)].map((m) => m[1]!);

function documentedRoutes(markdown: string): DocumentedRoute[] {
  const section = markdown.slice(markdown.indexOf("## Routes"), markdown.indexOf("\n## ", markdown.indexOf("## Routes") + 1));
  return section
    .split("\n")
    .filter((line) => /^\| `(GET|POST|PATCH|PUT|DELETE) /.test(line))
    .map((line) => {
      const [routeCell = "", input = "", returns = ""] = cells(line);
      const [method, target = ""] = routeCell.replace(/`/g, "").split(" ");
      const [path = "", query = ""] = target.split("?");
      return {
        route: `${method} ${pathShape(path)}`,
        fields: [...queryNames(`?${query}`), ...queryNames(input.replace(/`/g, "")), ...topLevelKeys(input)],
        returns: returns.trim().replace(/^`?\d{3}\s*/, "").startsWith("`{") ? topLevelKeys(returns) : [],
      };
    });
}

describe("docs/rest-api.md and GET /openapi.json", () => {
  let app: FastifyInstance;
  let dispose: () => Promise<void>;
  let operations: Map<string, Operation>;
  const documented = documentedRoutes(readFileSync(new URL("../docs/rest-api.md", import.meta.url), "utf8"));

  beforeAll(async () => {
    const t = await tempLedger();
    dispose = t.dispose;
    app = await buildServer(t.ledger);
    const openapi = (await app.inject({ method: "GET", url: "/openapi.json" })).json() as { paths: Record<string, Record<string, Operation>> };
    operations = new Map(Object.entries(openapi.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => [`${method.toUpperCase()} ${pathShape(path)}`, op] as const)));
  });
  afterAll(async () => {
    await app.close();
    await dispose();
  });

  const requestFields = (operation: Operation): string[] => [
    ...(operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
    ...Object.keys(operation.requestBody?.content["application/json"]?.schema.properties ?? {}),
  ];

  it("hardening #8: the table of routes is read (the parser finds the documented fields)", () => {
    expect(documented.length).toBeGreaterThan(30);
    const search = documented.find((d) => d.route === "POST /search");
    expect(search?.fields).toEqual(expect.arrayContaining(["query", "cubeIds", "weights", "rrfK", "asOf", "rerank"]));
    expect(documented.find((d) => d.route === "POST /memories/{}/schedule")?.fields).toEqual(["command", "at", "afterSeconds", "freezeReason", "note"]);
    expect(documented.find((d) => d.route === "GET /health/ready")?.fields).toEqual(["timeoutMs"]);
  });

  it("hardening #8: every documented route, field and returned field is in the OpenAPI document", () => {
    for (const { route, fields, returns } of documented) {
      if (hiddenRoutes.has(route)) continue;
      const operation = operations.get(route);
      expect(operation, `${route} is documented in docs/rest-api.md but missing from /openapi.json`).toBeDefined();
      const accepted = requestFields(operation!);
      for (const field of fields) expect(accepted, `${route}: docs/rest-api.md documents "${field}", the OpenAPI document does not accept it`).toContain(field);
      const success = Object.entries(operation!.responses ?? {}).find(([status]) => status.startsWith("2"))?.[1]?.content?.["application/json"]?.schema;
      // A response schema with properties drops every other field when the reply is serialized.
      if (success?.properties === undefined || success.additionalProperties === true) continue;
      for (const field of returns) expect(Object.keys(success.properties), `${route}: docs/rest-api.md says it returns "${field}", the response schema would drop it`).toContain(field);
    }
  });

  it("hardening #8: every route and field of the OpenAPI document is documented", () => {
    const byRoute = new Map(documented.map((d) => [d.route, d]));
    for (const [route, operation] of operations) {
      const row = byRoute.get(route);
      expect(row, `${route} is served but not in the routes table of docs/rest-api.md`).toBeDefined();
      for (const field of requestFields(operation)) expect(row!.fields, `${route}: "${field}" is accepted but not documented in docs/rest-api.md`).toContain(field);
    }
  });
});

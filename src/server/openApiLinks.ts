/**
 * OpenAPI links: which response value feeds which operation's path parameter
 * (the id POST /memories returns is the memoryId of GET /memories/{memoryId},
 * of its edit, history and lifecycle actions). Clients and generators read
 * them as documentation; API fuzzers (Schemathesis's stateful phase) follow
 * them to chain create -> read/edit/act/history instead of guessing ids.
 */
interface LinkSource {
  readonly method: string;
  readonly path: string;
  readonly status: string;
  /** JSON pointer into the response body to the id. */
  readonly pointer: string;
  readonly parameter: string;
  /** Operations taking that id as a path parameter, or with `in: "body"` as a body field: "METHOD /path". */
  readonly targets: readonly string[];
  readonly in?: "path" | "body";
}

const memoryTargets = [
  "GET /memories/{memoryId}",
  "PATCH /memories/{memoryId}",
  "GET /memories/{memoryId}/history",
  "GET /memories/{memoryId}/diff",
  "POST /memories/{memoryId}/activate",
  "POST /memories/{memoryId}/archive",
  "POST /memories/{memoryId}/restore",
  "POST /memories/{memoryId}/merge",
  "POST /memories/{memoryId}/freeze",
  "POST /memories/{memoryId}/revert",
  "POST /memories/{memoryId}/erase",
  "POST /memories/{memoryId}/schedule",
];
const cubeTargets = [
  "GET /cubes/{cubeId}",
  "GET /cubes/{cubeId}/memories",
  "POST /cubes/{cubeId}/add",
  "POST /cubes/{cubeId}/rollback",
  "POST /cubes/{cubeId}/branch",
  "POST /cubes/{cubeId}/retention-sweeps",
];
const jobTargets = ["GET /jobs/{jobId}", "GET /jobs/{jobId}/wait", "POST /jobs/{jobId}/retry"];

const sources: readonly LinkSource[] = [
  { method: "post", path: "/memories", status: "201", pointer: "/memoryId", parameter: "memoryId", targets: memoryTargets },
  { method: "post", path: "/cubes/{cubeId}/add", status: "201", pointer: "/memories/0/memoryId", parameter: "memoryId", targets: memoryTargets },
  { method: "post", path: "/cubes/{cubeId}/add", status: "202", pointer: "/job/jobId", parameter: "jobId", targets: jobTargets },
  { method: "post", path: "/memories/{memoryId}/schedule", status: "202", pointer: "/jobId", parameter: "jobId", targets: jobTargets },
  { method: "post", path: "/cubes/{cubeId}/retention-sweeps", status: "202", pointer: "/jobId", parameter: "jobId", targets: jobTargets },
  { method: "post", path: "/cubes", status: "201", pointer: "/cubeId", parameter: "cubeId", targets: cubeTargets },
  // A memory is created in a cube that exists: the body's cubeId, merged into an otherwise generated body.
  { method: "post", path: "/cubes", status: "201", pointer: "/cubeId", parameter: "cubeId", targets: ["POST /memories"], in: "body" },
  { method: "post", path: "/cubes/{cubeId}/branch", status: "201", pointer: "/cube/cubeId", parameter: "cubeId", targets: cubeTargets },
  { method: "post", path: "/subjects/{subjectId}/erase", status: "200", pointer: "/subjectId", parameter: "subjectId", targets: ["GET /subjects/{subjectId}/erasures"] },
];

type Operation = { responses?: Record<string, { links?: Record<string, unknown> }> };
type Document = { paths?: Record<string, Record<string, Operation>> };

/** `GET /memories/{memoryId}/history` -> `GetMemoriesMemoryIdHistory`: a link name that says where it goes. */
const linkName = (target: string): string =>
  target
    .split(/[\s/{}-]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase())
    .join("");

/** JSON pointer escaping for an operationRef (`/` is `~1`, `~` is `~0`). */
const operationRef = (method: string, path: string): string => `#/paths/${path.replace(/~/g, "~0").replace(/\//g, "~1")}/${method}`;

export function withOpenApiLinks<T extends object>(document: T): T {
  const { paths } = document as Document;
  for (const source of sources) {
    const response = paths?.[source.path]?.[source.method]?.responses?.[source.status];
    if (response === undefined) continue;
    const links: Record<string, unknown> = { ...response.links };
    for (const target of source.targets) {
      const [method, path] = target.split(" ") as [string, string];
      // A hidden or not yet registered route is simply not linked to.
      if (paths?.[path]?.[method.toLowerCase()] === undefined) continue;
      const value = `$response.body#${source.pointer}`;
      links[linkName(target)] = {
        operationRef: operationRef(method.toLowerCase(), path),
        ...(source.in === "body" ? { requestBody: { [source.parameter]: value } } : { parameters: { [source.parameter]: value } }),
      };
    }
    response.links = links;
  }
  return document;
}

import type { RequestOptions } from "../app/ledgerApi.js";
import type { ImportReport } from "../cubeInterchange/cubeImport.js";
import type { ExternalImportReport, InterchangeApi } from "../cubeInterchange/interchangeApi.js";

/** One streamed exchange with the server: the answer when it is a 2xx, the server's typed error otherwise. */
export type Exchange = (request: {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly query?: Record<string, string | undefined>;
  readonly body?: ReadableStream<Uint8Array>;
  readonly ctx?: RequestOptions;
}) => Promise<Response>;

/** Lines -> an upload stream: the file is sent as it is read, never held whole. */
function uploadOf(lines: AsyncIterable<string> | Iterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const source = (Symbol.asyncIterator in lines ? lines[Symbol.asyncIterator]() : (lines as Iterable<string>)[Symbol.iterator]()) as AsyncIterator<string> | Iterator<string>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await source.next();
      if (next.done === true) controller.close();
      else controller.enqueue(encoder.encode(next.value.endsWith("\n") ? next.value : `${next.value}\n`));
    },
  });
}

/** The answer's body, line by line, as it arrives. */
async function* linesOf(response: Response): AsyncGenerator<string> {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, cut + 1);
      pending = pending.slice(cut + 1);
    }
  }
  pending += decoder.decode();
  if (pending !== "") yield pending;
}

const flag = (value: boolean | undefined) => (value === true ? "true" : undefined);

/** `interchange` over REST (GET /cubes/:cubeId/export, POST /cubes/import). Progress callbacks are not called over HTTP: the report says what happened. */
export function remoteInterchange(exchange: Exchange): InterchangeApi<RequestOptions> {
  const exportPath = (cubeId: string) => `/cubes/${encodeURIComponent(cubeId)}/export`;
  return {
    exportCube: async (cubeId, options = {}) =>
      linesOf(await exchange({ method: "GET", path: exportPath(cubeId), query: { currentState: flag(options.currentState), includeGrants: flag(options.includeGrants) } })),
    exportFlat: async (cubeId) => linesOf(await exchange({ method: "GET", path: exportPath(cubeId), query: { flat: "true" } })),
    importCube: async (lines, options = {}, ctx) =>
      (await (await exchange({ method: "POST", path: "/cubes/import", query: { format: "memledger", onConflict: options.onConflict }, body: uploadOf(lines), ...(ctx ? { ctx } : {}) })).json()) as ImportReport,
    importExternal: async (request, ctx) =>
      (await (
        await exchange({ method: "POST", path: "/cubes/import", query: { format: request.format, cubeId: request.cubeId, name: request.name }, body: uploadOf([request.text]), ...(ctx ? { ctx } : {}) })
      ).json()) as ExternalImportReport,
  };
}

/**
 * The REST server on a data directory, for the crash half of the crypto-shredding
 * test: the parent writes and erases over HTTP, then kills this process with SIGKILL.
 * As `npm start` does, the first start creates the admin principal (kind admin:
 * every role of tenant default, the data-protection officer's included) and
 * writes its API key to `<dataDir>/admin.key`; the parent sends it as
 * `Authorization: Bearer <key>`. Rate limits are off.
 * Usage: vite-node test/support/erasureServerProcess.ts <dataDir> <embeddingModelDir>
 */
import { join } from "node:path";
import { openMemLedger } from "../../src/app/memLedger.js";
import { buildServer } from "../../src/server/buildServer.js";

const [dataDir, modelDir] = process.argv.slice(2);
if (!dataDir || !modelDir) throw new Error("usage: erasureServerProcess.ts <dataDir> <embeddingModelDir>");

const ledger = await openMemLedger({ dataDir, embedder: { kind: "onnx", modelDir }, defaultContext: { tenantId: "default", actor: "server" } });
const keyFile = join(dataDir, "admin.key");
await ledger.bootstrapAdmin(keyFile);
const app = await buildServer(ledger, { rateLimit: false, keyFileHint: keyFile });
const url = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`LISTENING ${url}\n`);

import { openMemLedger } from "../app/memLedger.js";
import { configFromEnv, ConfigError } from "../config.js";
import { buildServer } from "./buildServer.js";

/** `npm start`: the server on the embedded default (one data directory, no services). */
async function main(): Promise<void> {
  const config = configFromEnv();
  const ledger = await openMemLedger({ dataDir: config.dataDir, eventStore: config.eventStore, defaultContext: { tenantId: "default", actor: "server" } });
  const app = await buildServer(ledger, { logger: config.logger });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: finishing in-flight requests, then closing the stores`);
    await app.close();
    await ledger.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  await app.listen({ host: config.host, port: config.port });
  app.log.info(`memledger on ${ledger.engine}, data in ${config.dataDir}; OpenAPI at /openapi.json`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});

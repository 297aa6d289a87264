import { resolve } from "node:path";
import type { EventStoreConfig } from "./app/memLedger.js";

/** Server configuration from the environment; the embedded default needs none of it. */
export interface ServerConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly eventStore: EventStoreConfig;
  readonly logger: boolean;
}

export class ConfigError extends Error {}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const port = Number(env.MEMLEDGER_PORT ?? env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`MEMLEDGER_PORT=${env.MEMLEDGER_PORT} is not a port number`);
  const engine = env.MEMLEDGER_EVENT_STORE ?? "sqlite";
  let eventStore: EventStoreConfig;
  if (engine === "sqlite") {
    const durability = env.MEMLEDGER_DURABILITY ?? "full";
    if (durability !== "full" && durability !== "normal") throw new ConfigError(`MEMLEDGER_DURABILITY must be full or normal, not ${durability}`);
    eventStore = { kind: "sqlite", durability };
  } else if (engine === "eventstoredb") {
    if (!env.EVENTSTORE_URL) throw new ConfigError("MEMLEDGER_EVENT_STORE=eventstoredb needs EVENTSTORE_URL (e.g. esdb://localhost:2113?tls=false)");
    eventStore = { kind: "eventstoredb", url: env.EVENTSTORE_URL };
  } else {
    throw new ConfigError(`MEMLEDGER_EVENT_STORE must be sqlite or eventstoredb, not ${engine}`);
  }
  return {
    dataDir: resolve(env.MEMLEDGER_DATA_DIR ?? "data"),
    host: env.MEMLEDGER_HOST ?? "127.0.0.1",
    port,
    eventStore,
    logger: env.MEMLEDGER_LOG !== "off",
  };
}

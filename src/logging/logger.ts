import { pino, type DestinationStream, type Logger } from "pino";

/**
 * The one logger background parts (projection runner, Kafka relay and job
 * bus, the embedding worker) write through: JSON lines with a level, a time
 * and the message, the same format as Fastify's request log, so one log
 * pipeline reads both. `MEMLEDGER_LOG_LEVEL` sets the level (default info).
 */
let current: Logger = createLogger();

export function createLogger(destination?: DestinationStream): Logger {
  const options = { name: "memledger", level: process.env.MEMLEDGER_LOG_LEVEL ?? "info" };
  // stderr: stdout belongs to the CLI's answers and MCP's stdio protocol.
  return destination ? pino(options, destination) : pino(options, pino.destination(2));
}

/** The shared logger, or one of its children for a component (`{ component: "projectionRunner" }`). */
export function logger(component?: string): Logger {
  return component === undefined ? current : current.child({ component });
}

/** Tests capture lines; a host embedding the library may route them into its own logger. */
export function useLogger(replacement: Logger): Logger {
  const previous = current;
  current = replacement;
  return previous;
}

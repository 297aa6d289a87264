import { LedgerMetrics } from "./ledgerMetrics.js";

export interface MetricsRouteOptions {
  readonly metrics: LedgerMetrics;
  /** `MEMLEDGER_METRICS_TOKEN`: when set, a scrape must send `Authorization: Bearer <it>`; unset, /metrics is open (docs/operations.md says why). */
  readonly token?: string;
}

/**
 * The server's metrics from its environment: on unless `MEMLEDGER_METRICS=off`;
 * `MEMLEDGER_METRICS_TOKEN`, when set, is the bearer token a scrape must send.
 */
export function metricsFromEnvironment(env: NodeJS.ProcessEnv = process.env): MetricsRouteOptions | undefined {
  const setting = (env.MEMLEDGER_METRICS ?? "on").toLowerCase();
  if (setting !== "on" && setting !== "off") throw new Error(`MEMLEDGER_METRICS must be on or off, not "${env.MEMLEDGER_METRICS}"`);
  if (setting === "off") return undefined;
  const token = env.MEMLEDGER_METRICS_TOKEN;
  return { metrics: new LedgerMetrics(), ...(token !== undefined && token !== "" ? { token } : {}) };
}

/** What the readiness endpoint says about one engine memledger depends on. */
export interface EngineHealth {
  /** The role: `eventStore`, `jobBus`, `eventRelay`, `graph`, `vector`, `embedder`. */
  readonly role: string;
  /** The engine in that role: `sqlite`, `eventstoredb`, `kafka`, `neo4j`, `qdrant`, … */
  readonly engine: string;
  readonly ok: boolean;
  /** How long the probe took. */
  readonly latencyMs: number;
  /** The server's version or other detail the probe learned. */
  readonly detail?: string;
  /** Why the probe failed, and what that means for memledger. */
  readonly error?: string;
}

/** A check of one engine; resolves with a detail string or throws. */
export interface EngineProbe {
  readonly role: string;
  readonly engine: string;
  check(): Promise<string | void>;
}

/** Runs a probe with a deadline, so a hung engine shows as failed instead of hanging the readiness check. */
export async function runProbe(probe: EngineProbe, timeoutMs: number): Promise<EngineHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      probe.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { role: probe.role, engine: probe.engine, ok: true, latencyMs: elapsed(started), ...(typeof detail === "string" ? { detail } : {}) };
  } catch (error) {
    return { role: probe.role, engine: probe.engine, ok: false, latencyMs: elapsed(started), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;

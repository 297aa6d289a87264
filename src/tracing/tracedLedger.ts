import { SpanStatusCode } from "@opentelemetry/api";
import type { Tracer } from "@opentelemetry/api";
import { cubeIdIn, spanAttributes } from "./spanAttributes.js";

/**
 * The principal's ledger with a span around every call (`ledger memories.add`,
 * `ledger search`): the command step between a request and the appends it
 * makes, named after the API call, with the cube it names (its arguments', or
 * the request's `requestCubeId`).
 */
export function tracedLedger<L extends object>(ledger: L, tracer: Tracer, requestCubeId?: string): L {
  const traced = (name: string, call: (...args: unknown[]) => unknown, self: unknown) =>
    function (...args: unknown[]): unknown {
      const cubeId = cubeIdIn(args[0]) ?? requestCubeId;
      return tracer.startActiveSpan(`ledger ${name}`, { attributes: { [spanAttributes.command]: name, ...(cubeId !== undefined ? { [spanAttributes.cubeId]: cubeId } : {}) } }, (span) => {
        const end = (error?: unknown) => {
          if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: (error as { _tag?: string })?._tag ?? String(error) });
          span.end();
        };
        try {
          const result = call.apply(self, args);
          if (result instanceof Promise) return result.then((value) => (end(), value), (error: unknown) => (end(error), Promise.reject(error)));
          end();
          return result;
        } catch (error) {
          end(error);
          throw error;
        }
      });
    };
  const namespace = (target: object, prefix: string): object =>
    new Proxy(target, {
      get(object, key, receiver) {
        const value = Reflect.get(object, key, receiver) as unknown;
        if (typeof key !== "string") return value;
        if (typeof value === "function") return traced(`${prefix}${key}`, value as (...args: unknown[]) => unknown, object);
        if (prefix === "" && value !== null && typeof value === "object") return namespace(value, `${key}.`);
        return value;
      },
    });
  return namespace(ledger, "") as L;
}

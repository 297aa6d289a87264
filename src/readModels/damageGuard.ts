import { isReadModelDamage } from "./readModelDamage.js";

/**
 * Wraps a read model's store for its readers: a call that fails because the
 * file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB) reports the damage once and
 * fails with what `unavailable` makes instead (a 503 saying a rebuild runs),
 * sync or async alike. Other failures pass through untouched.
 */
export function guardAgainstDamage<S extends object>(store: S, onDamage: (error: unknown) => void, unavailable: () => Error): S {
  const fail = (error: unknown): never => {
    if (!isReadModelDamage(error)) throw error;
    onDamage(error);
    throw unavailable();
  };
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          return fail(error);
        }
        return result instanceof Promise ? result.catch(fail) : result;
      };
    },
  });
}

import { Context, Layer } from "effect";

/** The only source of "now" for recorded times; tests and replays inject their own. */
export interface ClockPort {
  now(): Date;
}

export class Clock extends Context.Tag("memledger/Clock")<Clock, ClockPort>() {}

export const systemClock: ClockPort = { now: () => new Date() };

/**
 * A clock that never goes backwards, so recorded times are ordered like the
 * log itself and "as of time T" queries stay consistent with positions.
 */
export function monotonic(clock: ClockPort): ClockPort {
  let last = 0;
  return {
    now: () => {
      const t = Math.max(clock.now().getTime(), last);
      last = t;
      return new Date(t);
    },
  };
}

/** A clock tests move by hand. */
export class ManualClock implements ClockPort {
  constructor(private current: Date = new Date("2026-01-01T00:00:00.000Z")) {}
  now(): Date {
    return new Date(this.current);
  }
  set(to: Date | string): void {
    this.current = new Date(to);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const layerSystemClock = Layer.succeed(Clock, monotonic(systemClock));
export const layerClock = (clock: ClockPort) => Layer.succeed(Clock, clock);

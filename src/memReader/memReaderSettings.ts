import { Context } from "effect";
import { defaultWindowSettings, type WindowSettings } from "./turnWindows.js";

export interface MemReaderSettings {
  /** Fast mode's windows of turns. */
  readonly window: WindowSettings;
  /** The chat model reads images (MEMLEDGER_CHAT_MODEL_VISION=true): fine mode asks it to describe each image. */
  readonly vision: boolean;
}

export const defaultMemReaderSettings: MemReaderSettings = { window: defaultWindowSettings, vision: false };

/** Optional: absent means the defaults. */
export class MemReaderConfig extends Context.Tag("memledger/MemReaderConfig")<MemReaderConfig, MemReaderSettings>() {}

/** The settings the environment gives (MEMLEDGER_MEMREADER_WINDOW, _OVERLAP, MEMLEDGER_CHAT_MODEL_VISION). */
export function memReaderSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): MemReaderSettings {
  const whole = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name}=${raw} is not a whole number of turns; unset it or give e.g. ${fallback}`);
    return value;
  };
  return {
    window: { size: whole("MEMLEDGER_MEMREADER_WINDOW", defaultWindowSettings.size), overlap: whole("MEMLEDGER_MEMREADER_OVERLAP", defaultWindowSettings.overlap) },
    vision: env.MEMLEDGER_CHAT_MODEL_VISION === "true",
  };
}

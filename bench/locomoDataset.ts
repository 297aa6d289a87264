import { readFileSync } from "node:fs";

/**
 * The LoCoMo dev file (../shared/bench/locomo-dev.json, CC BY-NC 4.0) as
 * turns to ingest and questions to ask. Evidence ids are normalised:
 * "D8:6; D9:17" is split into two ids, "D:11:26" is read as "D11:26", and a
 * bare "D" is dropped (the normalisations are counted and printed).
 */
export interface LocomoTurn {
  readonly conversationId: string;
  readonly diaId: string;
  readonly speaker: string;
  readonly text: string;
  /** ISO time of the session the turn belongs to. */
  readonly sessionTime?: string;
}

export interface LocomoQuestion {
  readonly conversationId: string;
  readonly question: string;
  readonly category: number;
  readonly evidence: readonly string[];
}

export interface LocomoDataset {
  readonly turns: readonly LocomoTurn[];
  readonly questions: readonly LocomoQuestion[];
  readonly normalisations: { readonly split: number; readonly repaired: number; readonly dropped: number };
}

interface RawTurn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}

export function loadLocomo(path: string): LocomoDataset {
  const raw = JSON.parse(readFileSync(path, "utf8")) as Array<{ sample_id: string; conversation: Record<string, unknown>; qa: Array<{ question: string; category: number; evidence?: string[] }> }>;
  const turns: LocomoTurn[] = [];
  const questions: LocomoQuestion[] = [];
  const normalisations = { split: 0, repaired: 0, dropped: 0 };
  for (const sample of raw) {
    const conversation = sample.conversation;
    for (let n = 1; Array.isArray(conversation[`session_${n}`]); n += 1) {
      const sessionTime = parseSessionTime(conversation[`session_${n}_date_time`] as string | undefined);
      for (const turn of conversation[`session_${n}`] as RawTurn[]) {
        // Image turns: the caption stands in for the picture, as a reader model would describe it.
        const text = turn.blip_caption ? `${turn.text} [shares a photo: ${turn.blip_caption}]` : turn.text;
        turns.push({ conversationId: sample.sample_id, diaId: turn.dia_id, speaker: turn.speaker, text, ...(sessionTime ? { sessionTime } : {}) });
      }
    }
    for (const qa of sample.qa) {
      const evidence: string[] = [];
      for (const entry of qa.evidence ?? []) {
        const parts = entry.split(/[;,\s]+/).filter((p) => p !== "");
        if (parts.length > 1) normalisations.split += 1;
        for (const part of parts) {
          const repaired = part.replace(/^D:(\d+):(\d+)$/, "D$1:$2");
          if (repaired !== part) normalisations.repaired += 1;
          if (/^D\d+:\d+$/.test(repaired)) evidence.push(repaired);
          else normalisations.dropped += 1;
        }
      }
      if (evidence.length > 0) questions.push({ conversationId: sample.sample_id, question: qa.question, category: qa.category, evidence: [...new Set(evidence)] });
    }
  }
  return { turns, questions, normalisations };
}

/** "1:56 pm on 8 May, 2023" -> ISO (UTC; the file gives no zone). */
function parseSessionTime(value: string | undefined): string | undefined {
  const match = value ? /(\d+):(\d+)\s*(am|pm) on (\d+) (\w+),? (\d{4})/i.exec(value) : null;
  if (!match) return undefined;
  const [, h, m, ampm, day, month, year] = match;
  const hour = (Number(h) % 12) + (ampm!.toLowerCase() === "pm" ? 12 : 0);
  const date = new Date(`${day} ${month} ${year} ${String(hour).padStart(2, "0")}:${m}:00 UTC`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * The corpus the retrieval and rebuild benchmarks share: the 2,760 LoCoMo
 * dialog turns plus deterministic synthetic "memory" sentences (people,
 * places, activities, objects, times, preferences), their questions, and an
 * embedding cache in `.cache/bench/` so real embeddings are computed once.
 */
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { MetadataValue } from "../domain/memory/memoryContent.js";
import { openEmbeddingCache } from "../src/embedding/embeddingCache.js";
import { openOnnxEmbedder } from "../src/embedding/onnxEmbedder.js";
import { ensureEmbeddingModel } from "../test/support/embeddingModel.js";
import { nowMs, rng } from "./stats.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const benchCacheDir = join(repoRoot, ".cache", "bench");
/** Embeddings keyed by model id and text, shared by every benchmark run on this machine. */
export const embeddingCachePath = join(benchCacheDir, "embeddings.db");
const locomoPath = process.env.LOCOMO_PATH ?? "/work/shared/bench/locomo-dev.json";

/** What `memories.add` takes for one memory. */
export interface BenchMemory {
  readonly text: string;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}

export interface BenchQuery {
  readonly text: string;
  readonly kind: "locomo" | "synthetic";
  /** LoCoMo: evidence dia_ids; synthetic: the one memory text the question paraphrases. */
  readonly expected: readonly string[];
  readonly category?: number;
}

// ---------------------------------------------------------------- synthetic sentences

const people = `Maria Joao Aisha Liam Sofia Mateo Yuki Kenji Amara Tobias Ingrid Rahul Priya Chen Wei Fatima Omar Elena Nikos Hana Jonas
  Lucia Diego Ava Noah Zara Felix Ines Pedro Lena Marco Chloe Ethan Nadia Samir Freya Oskar Leila Tariq Mei Hiro Anya Dmitri Clara
  Hugo Rosa Emil Maya Arjun Sana Kofi Abena Lucas Julia Viktor Irene Pablo Carmen Tomas Eva Nils Astrid Malik Yara Ivan Olga Bruno
  Alice Theo Greta Ravi Kavya Jin Soo Min Ana Rafael Beatriz Daniel Helena Gabriel Laura Simon Petra Adrian Nora Caleb Iris Miles
  June Oliver Ruby Leo Stella Max Ella Finn Luna Hector Paula Ibrahim Amina Tenzin Pema Kai Nia Santiago Valentina Hamza Layla`
  .split(/\s+/)
  .filter(Boolean);
const cities = `Lisbon Porto Madrid Seville Paris Lyon Berlin Munich Hamburg Vienna Prague Warsaw Krakow Budapest Rome Milan Naples Turin
  Athens Istanbul Oslo Stockholm Copenhagen Helsinki Dublin Edinburgh London Manchester Amsterdam Rotterdam Brussels Zurich Geneva
  Barcelona Valencia Marseille Nice Bordeaux Toronto Montreal Vancouver Chicago Boston Seattle Denver Austin Portland Atlanta Miami
  Mexico-City Bogota Lima Santiago Buenos-Aires Montevideo Sao-Paulo Rio Nairobi Accra Lagos Cairo Marrakesh Cape-Town Dubai Mumbai
  Delhi Bangalore Kathmandu Bangkok Hanoi Singapore Jakarta Manila Seoul Busan Tokyo Osaka Kyoto Taipei Shanghai Sydney Melbourne
  Auckland Wellington Reykjavik Tallinn Riga Vilnius Ljubljana Zagreb`
  .split(/\s+/)
  .filter(Boolean)
  .map((c) => c.replaceAll("-", " "));
const pastTimes = [
  "last spring", "last summer", "last autumn", "last winter", "two weeks ago", "in March 2023", "in June 2022", "over the holidays",
  "last weekend", "a few days ago", "in early 2024", "back in 2019", "in September", "on New Year's Eve", "after the conference",
  "during the long weekend", "three months ago", "in late October", "before the pandemic", "right after graduating",
];
const futureTimes = [
  "next month", "next spring", "this summer", "in two weeks", "before the end of the year", "in December", "next weekend",
  "after the product launch", "in early 2025", "once the lease ends", "over the Easter break", "in the autumn",
];
const frequencies = ["week", "two weeks", "month", "Saturday", "Sunday morning", "evening", "quarter", "few days"];
const weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
const colors = ["grey", "black", "ginger", "white", "brown", "spotted", "golden", "tabby", "cream", "silver"];
const animals = ["cat", "dog", "rabbit", "parrot", "hamster", "tortoise", "beagle", "labrador", "kitten", "puppy", "ferret", "canary"];
const petNames = `Pixel Biscuit Luna Mochi Pepper Ziggy Nori Olive Maple Tofu Ginger Bolt Juniper Waffles Clementine Pickle Bean Comet
  Pumpkin Socks Miso Rocket Hazel Figaro Noodle Pebble Sushi Kiwi Pretzel Oreo`
  .split(/\s+/)
  .filter(Boolean);
const landmarks = ["old harbour", "castle", "cathedral", "botanical garden", "river promenade", "central market", "art museum", "city park", "lighthouse", "old town walls"];
const dishes = ["ramen", "paella", "grilled sardines", "pad thai", "mushroom risotto", "lamb tagine", "bibimbap", "pho", "pierogi", "falafel wrap", "tacos al pastor", "butter chicken", "sushi platter", "moussaka", "goulash", "pastel de nata"];
const cuisines = ["Japanese", "Spanish", "Portuguese", "Thai", "Italian", "Moroccan", "Korean", "Vietnamese", "Polish", "Lebanese", "Mexican", "Indian", "Greek", "Hungarian"];
const allergens = ["peanuts", "shellfish", "gluten", "lactose", "sesame", "tree nuts", "eggs", "soy"];
const relatives = ["grandmother", "grandfather", "aunt", "uncle", "older sister", "younger brother", "cousin", "mother", "father", "stepmother"];
const jobs = ["data engineer", "nurse", "product designer", "high-school teacher", "architect", "accountant", "line cook", "physiotherapist", "backend developer", "marketing lead", "pharmacist", "civil engineer"];
const industries = ["fintech", "logistics", "healthcare", "renewable energy", "gaming", "publishing", "biotech", "retail", "insurance", "travel"];
const projects = ["billing migration", "mobile app redesign", "warehouse automation", "customer portal", "data platform", "onboarding revamp", "search relaunch", "payments integration"];
const bodyParts = ["left ankle", "right knee", "lower back", "shoulder", "wrist", "hamstring"];
const diets = ["a vegetarian", "a vegan", "a low-sugar", "a Mediterranean", "a high-protein", "an intermittent-fasting"];
const instruments = ["bass guitar", "violin", "drums", "piano", "saxophone", "cello", "ukulele", "trumpet"];
const genres = ["jazz", "indie rock", "folk", "punk", "blues", "funk", "classical", "reggae", "electronic", "bluegrass"];
const paintingSubjects = ["sunrise over the sea", "portrait of a neighbour", "field of sunflowers", "rainy street at night", "mountain lake", "bowl of lemons"];
const media = ["watercolour", "oil", "acrylic", "charcoal", "gouache"];
const collectibles = ["vinyl records", "vintage postcards", "fountain pens", "old maps", "board games", "enamel pins", "first-edition novels", "film cameras"];
const children = ["daughter", "son", "niece", "nephew", "godson", "goddaughter"];
const schoolStages = ["kindergarten", "primary school", "secondary school", "university", "a coding bootcamp", "swimming lessons", "piano lessons"];
const homeTypes = ["two-bedroom flat", "small terraced house", "loft apartment", "cottage", "studio flat", "house with a garden"];
const neighbourhoods = ["the old quarter", "the harbour district", "the north side", "a quiet suburb", "the university area", "the city centre"];
const rooms = ["kitchen", "bathroom", "living room", "home office", "spare bedroom", "balcony"];
const appliances = ["espresso machine", "dishwasher", "air fryer", "robot vacuum", "standing desk", "bread maker", "dehumidifier"];
const items = ["rain jacket", "backpack", "pair of running shoes", "desk lamp", "wool scarf", "e-reader", "tent", "bicycle helmet", "suitcase", "mechanical keyboard"];
const brands = ["second-hand", "locally made", "minimalist", "budget", "handmade", "refurbished"];
const defects = ["too small", "scratched", "missing a part", "the wrong colour", "faulty", "too heavy"];
const events = ["surprise birthday party", "retirement dinner", "book club evening", "board game night", "housewarming party", "charity run", "wine tasting", "baby shower"];
const venues = ["rooftop bar", "community hall", "beach cafe", "garden restaurant", "brewery", "bowling alley"];
const trails = ["the coastal path", "a volcano trail", "the fjord route", "a glacier walk", "the old pilgrim way", "a ridge trail"];
const countries = ["Iceland", "Norway", "Peru", "Japan", "Scotland", "New Zealand", "Chile", "Nepal", "Portugal", "Slovenia"];

type Pick = <T>(values: readonly T[]) => T;
const a = (noun: string) => (/^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`);
interface Sentence {
  readonly text: string;
  /** A question a user might ask that this memory answers. */
  readonly question: string;
}
type Template = (pick: Pick) => Sentence;

/** Ten topics of three templates each; the topic is the memory's tag, so one tag matches about 10% of the synthetic memories. */
const topics: Readonly<Record<string, readonly Template[]>> = {
  pets: [
    (p) => {
      const [who, color, animal, name, city, time] = [p(people), p(colors), p(animals), p(petNames), p(cities), p(pastTimes)];
      return { text: `${who} adopted a ${color} ${animal} named ${name} in ${city} ${time}.`, question: `Who adopted the ${animal} called ${name} in ${city}?` };
    },
    (p) => {
      const [who, animal, name, city, freq] = [p(people), p(animals), p(petNames), p(cities), p(frequencies)];
      return { text: `${who}'s ${animal} ${name} has to see the vet in ${city} every ${freq} because of a skin allergy.`, question: `How often does ${who}'s pet ${name} go to the vet?` };
    },
    (p) => {
      const [who, animal, name, landmark, city] = [p(people), p(animals), p(petNames), p(landmarks), p(cities)];
      return { text: `${who} walks ${name} the ${animal} along the ${landmark} in ${city} before work.`, question: `Where does ${who} walk ${name} in ${city}?` };
    },
  ],
  travel: [
    (p) => {
      const [who, other, city, time, landmark] = [p(people), p(people), p(cities), p(futureTimes), p(landmarks)];
      return { text: `${who} is planning a trip to ${city} with ${other} ${time} to see the ${landmark}.`, question: `Who is ${who} travelling to ${city} with?` };
    },
    (p) => {
      const [who, from, to, time, landmark] = [p(people), p(cities), p(cities), p(pastTimes), p(landmarks)];
      return { text: `${who} flew from ${from} to ${to} ${time} and stayed in a small hotel near the ${landmark}.`, question: `Where did ${who} stay on the trip to ${to}?` };
    },
    (p) => {
      const [who, trail, country, time, other] = [p(people), p(trails), p(countries), p(futureTimes), p(people)];
      return { text: `${who} wants to hike ${trail} in ${country} ${time} and asked ${other} to come along.`, question: `Which hike in ${country} is ${who} planning?` };
    },
  ],
  food: [
    (p) => {
      const [who, dish, cuisine, city] = [p(people), p(dishes), p(cuisines), p(cities)];
      return { text: `${who} loves the ${dish} at a family-run ${cuisine} restaurant in ${city}.`, question: `What does ${who} like to eat in ${city}?` };
    },
    (p) => {
      const [who, allergen, dish, other] = [p(people), p(allergens), p(dishes), p(people)];
      return { text: `${who} is allergic to ${allergen}, so ${other} always checks whether the ${dish} is safe before ordering.`, question: `What food allergy does ${who} have?` };
    },
    (p) => {
      const [who, dish, relative, city, time] = [p(people), p(dishes), p(relatives), p(cities), p(pastTimes)];
      return { text: `${who} learned to cook ${dish} from a ${relative} in ${city} ${time}.`, question: `Who taught ${who} to cook ${dish}?` };
    },
  ],
  work: [
    (p) => {
      const [who, job, industry, city, time] = [p(people), p(jobs), p(industries), p(cities), p(pastTimes)];
      return { text: `${who} started a new job as a ${job} at a ${industry} company in ${city} ${time}.`, question: `What job did ${who} start in ${city}?` };
    },
    (p) => {
      const [who, project, time, other] = [p(people), p(projects), p(futureTimes), p(people)];
      return { text: `${who} is leading the ${project} project at work and will present it to ${other} ${time}.`, question: `Which project is ${who} leading at work?` };
    },
    (p) => {
      const [who, manager, day, city] = [p(people), p(people), p(weekdays), p(cities)];
      return { text: `${who}'s manager ${manager} approved working from home on ${day}s, which saves the commute across ${city}.`, question: `Which day does ${who} work from home?` };
    },
  ],
  health: [
    (p) => {
      const [who, km, freq, city] = [p(people), p([5, 8, 10, 12, 15, 21]), p(frequencies), p(cities)];
      return { text: `${who} runs ${km} kilometres every ${freq} to train for the ${city} marathon.`, question: `Which marathon is ${who} training for?` };
    },
    (p) => {
      const [who, part, time, city] = [p(people), p(bodyParts), p(futureTimes), p(cities)];
      return { text: `${who} has a physiotherapy appointment in ${city} ${time} for a sprained ${part}.`, question: `What injury is ${who} getting physiotherapy for?` };
    },
    (p) => {
      const [who, diet, time, other] = [p(people), p(diets), p(pastTimes), p(people)];
      return { text: `${who} switched to ${diet} diet ${time} on ${other}'s advice and says sleep has improved.`, question: `What diet did ${who} switch to?` };
    },
  ],
  hobbies: [
    (p) => {
      const [who, instrument, genre, city, day] = [p(people), p(instruments), p(genres), p(cities), p(weekdays)];
      return { text: `${who} plays ${instrument} in a ${genre} band that rehearses in ${city} on ${day} evenings.`, question: `What instrument does ${who} play in the band?` };
    },
    (p) => {
      const [who, subject, medium, time] = [p(people), p(paintingSubjects), p(media), p(pastTimes)];
      return { text: `${who} finished a ${medium} painting of a ${subject} ${time} and hung it in the hallway.`, question: `What did ${who} paint in ${medium}?` };
    },
    (p) => {
      const [who, collectible, city, time] = [p(people), p(collectibles), p(cities), p(pastTimes)];
      return { text: `${who} collects ${collectible} and found a rare one at a flea market in ${city} ${time}.`, question: `What does ${who} collect?` };
    },
  ],
  family: [
    (p) => {
      const [who, relative, other, city, time] = [p(people), p(relatives), p(people), p(cities), p(futureTimes)];
      return { text: `${who}'s ${relative} ${other} is getting married in ${city} ${time}.`, question: `Whose wedding in ${city} is ${who} going to?` };
    },
    (p) => {
      const [who, relative, other, city, freq] = [p(people), p(relatives), p(people), p(cities), p(frequencies)];
      return { text: `${who} visits ${relative} ${other} in ${city} every ${freq} and brings fresh bread.`, question: `How often does ${who} visit family in ${city}?` };
    },
    (p) => {
      const [who, child, other, stage, time] = [p(people), p(children), p(people), p(schoolStages), p(pastTimes)];
      return { text: `${who}'s ${child} ${other} started ${stage} ${time} and loves it.`, question: `What did ${who}'s ${child} ${other} start?` };
    },
  ],
  home: [
    (p) => {
      const [who, home, hood, city, time] = [p(people), p(homeTypes), p(neighbourhoods), p(cities), p(pastTimes)];
      return { text: `${who} moved into a ${home} in ${hood} of ${city} ${time}.`, question: `Where does ${who} live in ${city}?` };
    },
    (p) => {
      const [who, room, color, time] = [p(people), p(rooms), p(colors), p(futureTimes)];
      return { text: `${who} is renovating the ${room} and picked ${color} tiles; the work should be done ${time}.`, question: `Which room is ${who} renovating?` };
    },
    (p) => {
      const [who, appliance, room, time, city] = [p(people), p(appliances), p(rooms), p(pastTimes), p(cities)];
      return { text: `${who} bought ${a(appliance)} for the ${room} ${time} from a shop in ${city}.`, question: `What did ${who} buy for the ${room}?` };
    },
  ],
  shopping: [
    (p) => {
      const [who, color, item, time] = [p(people), p(colors), p(items), p(pastTimes)];
      return { text: `${who} ordered a ${color} ${item} online ${time} and is still waiting for the delivery.`, question: `What is ${who} waiting to have delivered?` };
    },
    (p) => {
      const [who, brand, item, city] = [p(people), p(brands), p(items), p(cities)];
      return { text: `${who} prefers ${brand} gear and bought ${a(item)} at a market stall in ${city}.`, question: `What kind of gear does ${who} prefer to buy?` };
    },
    (p) => {
      const [who, item, city, defect] = [p(people), p(items), p(cities), p(defects)];
      return { text: `${who} returned ${a(item)} to a store in ${city} because it was ${defect}.`, question: `Why did ${who} return the ${item}?` };
    },
  ],
  social: [
    (p) => {
      const [who, genre, city, other, time] = [p(people), p(genres), p(cities), p(people), p(pastTimes)];
      return { text: `${who} went to a ${genre} concert in ${city} with ${other} ${time}.`, question: `Who went to the ${genre} concert in ${city} with ${who}?` };
    },
    (p) => {
      const [who, event, other, venue, city, time] = [p(people), p(events), p(people), p(venues), p(cities), p(futureTimes)];
      return { text: `${who} is organising a ${event} for ${other} at a ${venue} in ${city} ${time}.`, question: `What is ${who} organising for ${other}?` };
    },
    (p) => {
      const [who, other, event, city, time, freq] = [p(people), p(people), p(events), p(cities), p(pastTimes), p(frequencies)];
      return { text: `${who} met ${other} at a ${event} in ${city} ${time} and they have talked every ${freq} since.`, question: `Where did ${who} first meet ${other}?` };
    },
  ],
};
export const topicNames = Object.keys(topics);

export interface SyntheticMemory extends Sentence {
  readonly topic: string;
}

/** `count` distinct sentences, the same for the same seed; a smaller count is a prefix of a larger one. */
export function syntheticMemories(count: number, seed = 20_261_121): SyntheticMemory[] {
  const random = rng(seed);
  const pick: Pick = (values) => values[Math.floor(random() * values.length)]!;
  const seen = new Set<string>();
  const out: SyntheticMemory[] = [];
  for (let attempts = 0; out.length < count; attempts += 1) {
    if (attempts > count * 20) throw new Error(`the templates gave only ${out.length} distinct sentences of the ${count} asked for; add slot values`);
    const topic = pick(topicNames);
    const sentence = pick(topics[topic]!)(pick);
    if (seen.has(sentence.text)) continue;
    seen.add(sentence.text);
    out.push({ topic, ...sentence });
  }
  return out;
}

// ---------------------------------------------------------------- LoCoMo

interface LocomoTurn {
  readonly speaker: string;
  readonly dia_id: string;
  readonly text: string;
  readonly blip_caption?: string;
}
interface LocomoSample {
  readonly sample_id: string;
  readonly conversation: Record<string, unknown>;
  readonly qa: readonly { question: string; evidence?: readonly string[]; category: number }[];
}

/** LoCoMo evidence ids come as "D1:3", a few as "D:11:26" or "D10:19 D10:20": split and normalise, drop the rest. */
function normaliseEvidence(evidence: readonly string[]): string[] {
  return evidence
    .flatMap((e) => e.split(/[\s;,]+/))
    .map((e) => e.replace(/^D:?(\d+):(\d+)$/, "D$1:$2"))
    .filter((e) => /^D\d+:\d+$/.test(e));
}

function loadLocomo(): LocomoSample[] {
  if (!existsSync(locomoPath)) throw new Error(`LoCoMo file ${locomoPath} is missing; set LOCOMO_PATH to locomo-dev.json`);
  return JSON.parse(readFileSync(locomoPath, "utf8")) as LocomoSample[];
}

/** Every dialog turn as a memory: "speaker: text", tagged with its conversation, dia_id kept in metadata. */
export function locomoMemories(): BenchMemory[] {
  const out: BenchMemory[] = [];
  for (const sample of loadLocomo()) {
    for (const [key, value] of Object.entries(sample.conversation)) {
      if (!/^session_\d+$/.test(key) || !Array.isArray(value)) continue;
      for (const turn of value as LocomoTurn[]) {
        const photo = turn.blip_caption ? ` [shares a photo: ${turn.blip_caption}]` : "";
        out.push({
          text: `${turn.speaker}: ${turn.text}${photo}`,
          tags: ["locomo", sample.sample_id],
          metadata: { source: "locomo", conversation: sample.sample_id, diaId: `${sample.sample_id}/${turn.dia_id}` },
        });
      }
    }
  }
  return out;
}

/** The first `total` memories of one fixed list (LoCoMo turns, then synthetic), so a smaller corpus is a subset of a larger one. */
export function benchCorpus(total: number): BenchMemory[] {
  const locomo = locomoMemories();
  if (total < locomo.length) throw new Error(`a corpus of ${total} cannot hold the ${locomo.length} LoCoMo turns; use at least that many`);
  const synthetic = syntheticMemories(total - locomo.length).map(
    (m, i): BenchMemory => ({ text: m.text, tags: [m.topic], metadata: { source: "synthetic", syntheticIndex: i } }),
  );
  return [...locomo, ...synthetic];
}

/** Seeded Fisher–Yates, so ingest order mixes LoCoMo and synthetic memories the same way every run. */
export function shuffled<T>(values: readonly T[], seed: number): T[] {
  const random = rng(seed);
  const out = [...values];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * `locomo` LoCoMo questions of categories 1–4 with evidence, spread evenly over the file, plus
 * `synthetic` paraphrase questions about synthetic memories among the first `syntheticPool` (present at every corpus size).
 */
export function benchQueries(locomo: number, synthetic: number, syntheticPool: number): BenchQuery[] {
  const eligible = loadLocomo().flatMap((sample) =>
    sample.qa.flatMap((qa) => {
      const evidence = normaliseEvidence(qa.evidence ?? []);
      return qa.category >= 1 && qa.category <= 4 && evidence.length > 0
        ? [{ text: qa.question, kind: "locomo" as const, expected: evidence.map((e) => `${sample.sample_id}/${e}`), category: qa.category }]
        : [];
    }),
  );
  const step = eligible.length / locomo;
  const fromLocomo = Array.from({ length: Math.min(locomo, eligible.length) }, (_, i) => eligible[Math.floor(i * step)]!);
  const pool = syntheticMemories(syntheticPool);
  const chosen = shuffled(pool, 7).slice(0, synthetic);
  const fromSynthetic = chosen.map((m): BenchQuery => ({ text: m.question, kind: "synthetic", expected: [m.text] }));
  return [...fromLocomo, ...fromSynthetic];
}

// ---------------------------------------------------------------- embeddings

export interface WarmedCache {
  readonly path: string;
  readonly modelDir: string;
  readonly modelId: string;
  readonly dimensions: number;
  readonly texts: number;
  /** Texts that were not cached yet and were embedded now. */
  readonly embedded: number;
  readonly embedSeconds: number;
  readonly lookupSeconds: number;
}

/**
 * Makes sure every text has a vector in the shared cache, embedding the missing ones with the
 * real ONNX model in chunks (each chunk is stored at once, so an interrupted run keeps its work).
 */
export async function warmEmbeddingCache(texts: readonly string[], log: (line: string) => void = console.log): Promise<WarmedCache> {
  const modelDir = await ensureEmbeddingModel();
  mkdirSync(benchCacheDir, { recursive: true });
  const embedder = await openOnnxEmbedder({ modelDir, batchSize: 64 });
  const cache = openEmbeddingCache(embeddingCachePath);
  try {
    const lookupStarted = nowMs();
    const distinct = [...new Set(texts)];
    const missing: string[] = [];
    for (let i = 0; i < distinct.length; i += 5_000) {
      const chunk = distinct.slice(i, i + 5_000);
      cache.getMany(embedder.modelId, chunk).forEach((vector, j) => {
        if (vector?.length !== embedder.dimensions) missing.push(chunk[j]!);
      });
    }
    const lookupSeconds = (nowMs() - lookupStarted) / 1000;
    const started = nowMs();
    const chunkSize = 1_024;
    for (let i = 0; i < missing.length; i += chunkSize) {
      const chunk = missing.slice(i, i + chunkSize);
      cache.putMany(embedder.modelId, chunk, await embedder.embed(chunk));
      const done = Math.min(i + chunkSize, missing.length);
      const seconds = (nowMs() - started) / 1000;
      if (done === missing.length || (i / chunkSize) % 10 === 9) {
        log(`  embedded ${done.toLocaleString("en-US")}/${missing.length.toLocaleString("en-US")} new texts, ${(done / seconds).toFixed(0)} texts/s, ~${Math.round((missing.length - done) / (done / seconds))} s to go`);
      }
    }
    return { path: embeddingCachePath, modelDir, modelId: embedder.modelId, dimensions: embedder.dimensions, texts: distinct.length, embedded: missing.length, embedSeconds: (nowMs() - started) / 1000, lookupSeconds };
  } finally {
    cache.close();
    await embedder.close();
  }
}

/** Cached vectors for texts that warmEmbeddingCache has seen; throws on a miss. */
export function cachedVectors(modelId: string, texts: readonly string[]): Float32Array[] {
  const cache = openEmbeddingCache(embeddingCachePath);
  try {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += 5_000) {
      for (const [j, vector] of cache.getMany(modelId, texts.slice(i, i + 5_000)).entries()) {
        if (vector === undefined) throw new Error(`no cached embedding for "${texts[i + j]}"; run warmEmbeddingCache first`);
        out.push(vector);
      }
    }
    return out;
  } finally {
    cache.close();
  }
}

/** A consistent copy of the shared cache (SQLite's backup API, safe while another process writes it) for one data directory. */
export async function copyEmbeddingCache(target: string): Promise<void> {
  const source = new Database(embeddingCachePath, { readonly: true });
  try {
    await source.backup(target);
  } finally {
    source.close();
  }
}

/** Which code was measured: the commit, and the product files changed on top of it (the tree may be moving). */
export function measuredRevision(): string {
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  const head = git("log", "-1", "--format=%h %cI %s") || "unknown commit";
  const dirty = git("status", "--porcelain", "--", "src", "domain", "projections").split("\n").filter(Boolean).map((line) => line.slice(3));
  return `${head}${dirty.length ? `; uncommitted changes in ${dirty.join(", ")}` : "; no uncommitted product changes"}`;
}

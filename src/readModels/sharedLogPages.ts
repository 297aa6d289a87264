import { Effect } from "effect";
import type { ProjectionEvent } from "../../projections/projectionEvent.js";
import type { KeyRing } from "../crypto/keyRing.js";
import type { EventStorePort } from "../eventStore/eventStorePort.js";
import { decodeForProjection } from "./projectionEventDecoder.js";

/**
 * Decoded pages of the log, shared by the read models of one runner: lanes
 * that fold the same stretch of the log (all of them, when projecting a fresh
 * data directory or rebuilding together) read and unseal each page once
 * instead of once per lane.
 *
 * A page holds every event with a position in (after, last], so any lane
 * whose checkpoint falls inside it can take the rest of it: lanes that start
 * apart (a crash left different checkpoints) fall into step at the end of the
 * first page they share. The log is append-only, so a page never goes stale,
 * except that an erasure may destroy a key it was unsealed with: pages
 * decoded before the key ring forgot a key are dropped, so erased text is
 * never handed out again nor kept in memory.
 */
export interface SharedLogPages {
  /** The decoded events after `after`, at most `maxCount`, ascending; empty at the head. */
  read(after: number, maxCount: number): Promise<ProjectionEvent[]>;
  /** Drops every page (the runner is stopping). */
  clear(): void;
  /** Pages held now (decoded or being decoded). */
  readonly held: number;
}

interface Page {
  readonly after: number;
  /** The key ring's forget count when decoding started. */
  readonly keyEpoch: number;
  readonly events: Promise<ProjectionEvent[]>;
  /** Set once decoded: the last position the page covers. */
  last?: number;
}

export interface SharedLogPagesOptions {
  readonly eventStore: EventStorePort;
  readonly keyRing: KeyRing;
  /** Decoded pages kept at most (each up to a rebuild batch of events); the lowest go first. Lanes in step need two; lanes apart need one each. */
  readonly maxPages: number;
}

export function sharedLogPages(options: SharedLogPagesOptions): SharedLogPages {
  const { eventStore, keyRing, maxPages } = options;
  let pages: Page[] = [];

  const decodePage = async (after: number, maxCount: number): Promise<ProjectionEvent[]> => {
    const recorded = await Effect.runPromise(eventStore.readAll({ after, maxCount }));
    return decodeForProjection(keyRing, recorded);
  };

  const forgetStalePages = () => {
    const epoch = keyRing.forgottenKeys;
    if (pages.some((p) => p.keyEpoch !== epoch)) pages = pages.filter((p) => p.keyEpoch === epoch);
  };

  /** A decoded page holding the events right after `after`, or one being decoded from exactly there. */
  const pageFor = (after: number): Page | undefined => pages.find((p) => (p.last !== undefined ? p.after <= after && after < p.last : p.after === after));

  const remember = (page: Page) => {
    pages.push(page);
    while (pages.length > maxPages) {
      const lowest = pages.reduce((low, p) => (p.after < low.after ? p : low));
      pages = pages.filter((p) => p !== lowest);
    }
  };

  const drop = (page: Page) => {
    pages = pages.filter((p) => p !== page);
  };

  return {
    read: async (after, maxCount) => {
      forgetStalePages();
      let page = pageFor(after);
      if (page === undefined) {
        const created: Page = { after, keyEpoch: keyRing.forgottenKeys, events: decodePage(after, maxCount) };
        page = created;
        remember(created);
        created.events.then(
          (events) => {
            // An erasure while decoding makes the page unfit to share; an empty one has nothing to share.
            if (events.length === 0 || created.keyEpoch !== keyRing.forgottenKeys) drop(created);
            else created.last = events[events.length - 1]!.envelope.position;
            // A short page means a lane reached the head: the pages behind it were the catch-up's, and holding them would keep their text in memory for nothing.
            if (events.length < maxCount) pages = pages.filter((p) => p === created || p.last === undefined || p.last > after);
          },
          () => drop(created),
        );
      }
      const events = await page.events;
      return events.length > 0 && events[0]!.envelope.position > after ? events.slice(0, maxCount) : eventsAfter(events, after, maxCount);
    },
    clear: () => {
      pages = [];
    },
    get held() {
      return pages.length;
    },
  };
}

/** The events of an ascending page that come after `after`, at most `maxCount`. */
function eventsAfter(events: readonly ProjectionEvent[], after: number, maxCount: number): ProjectionEvent[] {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events[middle]!.envelope.position <= after) low = middle + 1;
    else high = middle;
  }
  return events.slice(low, low + maxCount);
}

import { BACKWARDS, END, FORWARDS, START, type AllStreamResolvedEvent, type EventStoreDBClient, type Position, type StreamingRead } from "@eventstore/db-client";
import type { AllLogReader, AllPosition, LoggedEvent } from "./allLogReader.js";

/** The walk's reader over a live server: `$all` forwards, page by page, system records included. */

const PAGE_SIZE = 1_000;

/** Reads to the end: a gRPC read cancelled after the server sent everything never finishes (eventStoreDbEventStore.ts). */
async function collect<T>(read: StreamingRead<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
}

const positionOf = (p: Position): AllPosition => ({ commit: p.commit, prepare: p.prepare });

export function esdbAllLogReader(client: Pick<EventStoreDBClient, "readAll">): AllLogReader {
  return {
    async *readAll(after?: AllPosition) {
      // Reading from a position includes the record there: it is skipped below like a page's first record.
      let from: Position | typeof START = after ?? START;
      for (;;) {
        const page: AllStreamResolvedEvent[] = await collect(client.readAll({ direction: FORWARDS, fromPosition: from, maxCount: PAGE_SIZE }));
        let last: Position | undefined;
        for (const { event } of page) {
          if (!event?.position) continue;
          // A page starts at the previous page's last position, inclusive: that record was yielded already.
          if (from !== START && event.position.commit === from.commit && event.position.prepare === from.prepare) continue;
          last = event.position;
          yield { streamId: event.streamId, revision: event.revision, eventId: event.id, type: event.type, data: event.data, metadata: event.metadata, position: positionOf(event.position) } satisfies LoggedEvent;
        }
        if (page.length < PAGE_SIZE || !last) return;
        from = last;
      }
    },
    async headPosition() {
      const [newest] = await collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
      return newest?.event?.position ? positionOf(newest.event.position) : undefined;
    },
  };
}

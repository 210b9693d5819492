import { dayKey } from '../format.js';
import type { TimelineItem } from './timeline.js';

/** A row of the rendered list: a day separator, or a message that may continue its sender's run. */
export type Row =
  { kind: 'day'; key: string; at: string } | { kind: 'item'; key: string; item: TimelineItem; continued: boolean };

/** Messages closer than this from the same sender share one header. */
const RUN_GAP_MS = 5 * 60_000;

/** Insert a separator at each new local day and mark runs of one sender's messages. */
export function groupRows(items: TimelineItem[]): Row[] {
  const rows: Row[] = [];
  let prev: TimelineItem['message'] | undefined;
  for (const item of items) {
    const m = item.message;
    const day = dayKey(m.createdAt);
    const newDay = !prev || dayKey(prev.createdAt) !== day;
    if (newDay) rows.push({ kind: 'day', key: `day:${item.key}`, at: m.createdAt });
    const continued =
      !newDay &&
      prev !== undefined &&
      prev.senderId === m.senderId &&
      Date.parse(m.createdAt) - Date.parse(prev.createdAt) < RUN_GAP_MS;
    rows.push({ kind: 'item', key: item.key, item, continued });
    prev = m;
  }
  return rows;
}

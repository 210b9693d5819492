/** Single-document writes in flight at once (FerretDB holds a PostgreSQL connection per statement). */
export const WRITES_IN_FLIGHT = 4;

/** Point lookups by `_id` in flight at once, per call. */
export const ID_LOOKUPS_IN_FLIGHT = 8;

/**
 * Runs `fn` on every item, at most `limit` at a time. FerretDB holds a PostgreSQL connection
 * per statement in flight, so writes go one command each, a few at a time, never as one bulk;
 * and it pushes neither `$in` nor `$or` down to PostgreSQL, so a lookup of many ids goes one
 * `{_id}` each, a few at a time.
 */
export async function forEachInFlight<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  // After a failure no worker takes another item: the caller has its rejection and may retry
  // or give up, and should not find the rest still running behind it.
  let failed = false;
  const worker = async () => {
    for (let i = next++; !failed && i < items.length; i = next++) {
      try {
        await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * What `find` returns for each distinct id, dropping the ids it finds nothing for; one lookup
 * per id, ID_LOOKUPS_IN_FLIGHT at a time. For documents by `_id`: FerretDB serves each `{_id}`
 * equality from the primary key, while a `{_id: {$in}}` reads the whole collection (see
 * forEachInFlight; 10.7 s for 5 ids among 200,000 messages, docs/performance-history.md);
 * MongoDB serves both from the `_id` index. Its cost grows with the ids, the scan's with the
 * collection. In no particular order.
 */
export async function findEachId<T>(ids: readonly string[], find: (id: string) => Promise<T | null>): Promise<T[]> {
  const found: T[] = [];
  await forEachInFlight([...new Set(ids)], ID_LOOKUPS_IN_FLIGHT, async (id) => {
    const doc = await find(id);
    if (doc !== null) found.push(doc);
  });
  return found;
}

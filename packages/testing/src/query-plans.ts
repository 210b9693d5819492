import type { Connection } from 'mongoose';

/** The filters of the `find`/`findOne` commands `run` sent to `collection` (mongoose's per-connection debug hook). */
export async function filtersSent(
  conn: Connection,
  collection: string,
  run: () => Promise<unknown>,
): Promise<Record<string, unknown>[]> {
  const filters: Record<string, unknown>[] = [];
  conn.set('debug', (name: string, method: string, filter: Record<string, unknown>) => {
    if (name === collection && (method === 'find' || method === 'findOne')) filters.push(filter);
  });
  try {
    await run();
  } finally {
    conn.set('debug', false);
  }
  return filters;
}

/**
 * Whether answering `filter` reads the whole of `collection`. On FerretDB: whether the filter
 * stays in FerretDB instead of being pushed down to PostgreSQL (what is not pushed down is
 * read whole into FerretDB and filtered there: `$in`, `$or`, dotted paths). On MongoDB:
 * whether the winning plan is a collection scan.
 */
export async function readsWholeCollection(
  conn: Connection,
  collection: string,
  filter: Record<string, unknown>,
): Promise<boolean> {
  const plan = (await conn.db!.collection(collection).find(filter).explain()) as Record<string, unknown>;
  if ('filterPushdown' in plan) return plan.filterPushdown !== true;
  return JSON.stringify((plan.queryPlanner as { winningPlan: unknown }).winningPlan).includes('COLLSCAN');
}

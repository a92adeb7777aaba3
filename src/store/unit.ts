/** Runs fn in one transaction as a Unit (db.ts): its `after` work runs once the transaction committed. */
import type { Db, Unit } from './db.js';

export async function inOneTransaction<T>(db: Db, fn: (unit: Unit) => Promise<T>): Promise<T> {
  const after: Array<() => void> = [];
  const out = await db.transaction((tx) => fn({ tx, after: (f) => void after.push(f) }));
  for (const f of after) {
    try {
      f();
    } catch {
      /* an observer's failure must not fail what was committed */
    }
  }
  return out;
}

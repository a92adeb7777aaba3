import { PgliteDb } from './src/store/pglite-db.ts';
const db = await PgliteDb.open(null);
await db.query('CREATE TABLE x (id serial primary key, v text)');
async function time(name: string, n: number, f: () => Promise<unknown>) {
  for (let i = 0; i < 100; i++) await f();
  const t = performance.now();
  for (let i = 0; i < n; i++) await f();
  console.log(name, ((performance.now() - t) / n * 1000).toFixed(0), 'µs/op');
}
const tx2 = () => db.transaction(async (t) => { await t.query('INSERT INTO x (v) VALUES ($1)', ['a']); await t.query('SELECT count(*) FROM x'); });
await time('tx2 sequential', 500, tx2);
await time('8 tx2 concurrent', 100, () => Promise.all(Array.from({ length: 8 }, tx2)));
await db.close();

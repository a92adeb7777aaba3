// Tests get their own database on the shared test server. The server's
// createDatabase() lives in the global-setup process and can't be provided to
// test workers (provide() only carries plain data), hence this helper.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** CREATE DATABASE kt_<random> on the server at baseUrl; returns the new database's URL. */
export async function freshDatabase(baseUrl: string): Promise<string> {
  const name = `kt_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

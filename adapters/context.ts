/** What the runtime hands every chat adapter when it builds one (the table in adapters/index.ts). */
import type { Readable, Writable } from 'node:stream';
import type { Core } from '../src/app.js';
import type { Logger } from '../src/core/logger.js';
import type { HttpServer } from '../src/server/http-server.js';

export interface AdapterContext {
  core: Core;
  /** Keyturn's one HTTP server: adapters that receive webhooks mount their route on it (Slack's /slack/events). */
  server: HttpServer;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The local terminal (the console adapter's), and extra console lines the demo handles (`demo ...`). */
  terminal: {
    input: Readable;
    output: Writable;
    extra?: (words: string[], print: (s: string) => void) => Promise<boolean>;
  };
}

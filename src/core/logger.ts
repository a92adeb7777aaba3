/**
 * pino with secrets redacted twice over: by field path (tokens, passwords,
 * authorization headers) and by value (every known secret is masked in the
 * final line, wherever it appears).
 */
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { maskSecrets } from './secrets.js';

export type Logger = PinoLogger;

export const REDACT_PATHS = [
  '*.token', '*.password', '*.secret', '*.privateKey', '*.apiKey', '*.signingSecret',
  'headers.authorization', '*.headers.authorization', '*.headers["x-api-key"]', 'headers["x-api-key"]',
  'req.headers.authorization', 'config.people', 'env',
];

export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const dest: DestinationStream = opts.destination ?? pino.destination({ dest: 2, sync: true });
  const masked: DestinationStream = { write: (line: string) => dest.write(maskSecrets(line)) };
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'keyturn' } }, masked);
}

// Start-up failures say what to fix, and leave nothing running behind them.
import { describe, expect, it } from 'vitest';
import { BUNDLED_DEMO_CONFIG } from '../../../src/config/index.js';
import { startRuntime } from '../../../src/runtime.js';
import { startFakeSlackApi } from './fake-slack-api.js';
import { startFakeSocketMode } from './fake-socket-mode.js';

// Each test boots a whole runtime (PGlite, demo fleet) to see it refuse: generous time on a loaded machine.
const BOOT_MS = 120_000;

describe('Slack adapter start-up', () => {
  it('when Slack rejects SLACK_BOT_TOKEN, then Keyturn refuses to start and says which token to copy, without echoing it', async () => {
    const fake = await startFakeSlackApi();
    try {
      const err = (await startRuntime({
        configPath: BUNDLED_DEMO_CONFIG,
        env: { SLACK_BOT_TOKEN: 'xoxb-wrong-token-123', SLACK_SIGNING_SECRET: 'startup-secret', SLACK_API_URL: fake.apiUrl, PORT: '0', KEYTURN_DATA_DIR: ':memory:', LOG_LEVEL: 'fatal' },
      }).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/^Slack rejected SLACK_BOT_TOKEN \(invalid_auth\)\. Copy the Bot User OAuth Token/);
      expect(err.message).not.toContain('xoxb-wrong-token-123');
      expect(fake.callsTo('auth.test').map((c) => c.response?.error)).toEqual(['invalid_auth']);
    } finally {
      await fake.close();
    }
  }, BOOT_MS);

  it('when the Web API cannot be reached, then the error names SLACK_API_URL', async () => {
    const url = 'http://127.0.0.1:1/api/'; // a privileged port nothing listens on
    const err = (await startRuntime({
      configPath: BUNDLED_DEMO_CONFIG,
      env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'startup-secret', SLACK_API_URL: url, PORT: '0', KEYTURN_DATA_DIR: ':memory:', LOG_LEVEL: 'fatal' },
    }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`^cannot verify SLACK_BOT_TOKEN with auth.test at ${url.replace(/[.]/g, '\\.')}: .*Check network access and SLACK_API_URL\\.$`));
  }, BOOT_MS);

  it('when Slack rejects SLACK_APP_TOKEN, then Socket Mode refuses to start and names the token', async () => {
    const fake = await startFakeSlackApi();
    const socket = await startFakeSocketMode(fake.url, 'xapp-the-right-one');
    try {
      const err = (await startRuntime({
        configPath: BUNDLED_DEMO_CONFIG,
        env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-a-wrong-one', SLACK_API_URL: socket.apiUrl, PORT: '0', KEYTURN_DATA_DIR: ':memory:', LOG_LEVEL: 'fatal' },
      }).catch((e: unknown) => e)) as Error;
      expect(err.message).toBe('Socket Mode could not connect (invalid_auth): check SLACK_APP_TOKEN (an xapp- token with connections:write).');
      expect(socket.opens).toBe(1); // not retried in a loop: a wrong token does not fix itself
    } finally {
      await socket.close();
      await fake.close();
    }
  }, BOOT_MS);
});

// The Slack adapter's environment: what starts it, what each mistake says,
// and that the tokens are secrets from the moment they are read.
import { describe, expect, it } from 'vitest';
import { readSlackEnv, slackRequested } from '../../../adapters/slack/slack-env.js';
import { slashText } from '../../../adapters/slack/slash-commands.js';
import { maskSecrets } from '../../../src/core/secrets.js';

describe('Slack environment', () => {
  it('when only the bot token and signing secret are set, then it is HTTP mode against slack.com', () => {
    expect(readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-1', SLACK_SIGNING_SECRET: 'secret-unit-1' })).toEqual({
      botToken: 'xoxb-unit-1',
      signingSecret: 'secret-unit-1',
      appToken: undefined,
      apiUrl: undefined,
    });
  });

  it('when SLACK_APP_TOKEN is set, then no signing secret is needed (Socket Mode)', () => {
    expect(readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-2', SLACK_APP_TOKEN: 'xapp-unit-2' }).appToken).toBe('xapp-unit-2');
  });

  it('when SLACK_API_URL lacks the trailing slash, then one is added (the WebClient appends method names)', () => {
    expect(readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-3', SLACK_SIGNING_SECRET: 's-unit-3', SLACK_API_URL: 'http://127.0.0.1:9/api' }).apiUrl).toBe('http://127.0.0.1:9/api/');
  });

  it('when SLACK_API_TIMEOUT_MS is set, then it is the Web API timeout; a non-number is refused by name', () => {
    expect(readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-10', SLACK_SIGNING_SECRET: 's-unit-10', SLACK_API_TIMEOUT_MS: '2500' }).timeoutMs).toBe(2500);
    expect(readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-11', SLACK_SIGNING_SECRET: 's-unit-11', SLACK_API_TIMEOUT_MS: '' }).timeoutMs).toBeUndefined();
    expect(() => readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-12', SLACK_SIGNING_SECRET: 's-unit-12', SLACK_API_TIMEOUT_MS: '10s' })).toThrow(/SLACK_API_TIMEOUT_MS must be a number of milliseconds/);
  });

  it('when settings are wrong, then the error names the variable to fix', () => {
    expect(() => readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-4' })).toThrow(/neither SLACK_SIGNING_SECRET \(HTTP mode\) nor SLACK_APP_TOKEN \(Socket Mode\)/);
    expect(() => readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-5', SLACK_APP_TOKEN: 'xoxb-not-an-app-token' })).toThrow(/SLACK_APP_TOKEN must be an app-level token \(xapp-/);
    expect(() => readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-6', SLACK_SIGNING_SECRET: 's-unit-6', SLACK_API_URL: 'ftp://x' })).toThrow(/SLACK_API_URL must be an http\(s\) URL/);
    expect(() => readSlackEnv({ SLACK_BOT_TOKEN: '  ', SLACK_SIGNING_SECRET: 's-unit-7' })).toThrow(/SLACK_BOT_TOKEN is empty/);
  });

  it('when the tokens are read, then they are masked everywhere, even if the settings are rejected', () => {
    expect(() => readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-secret-8', SLACK_APP_TOKEN: 'bad-app-token-8' })).toThrow();
    expect(maskSecrets('token xoxb-unit-secret-8 and bad-app-token-8')).toBe('token ••• and •••');
    readSlackEnv({ SLACK_BOT_TOKEN: 'xoxb-unit-9', SLACK_SIGNING_SECRET: 'signing-unit-9' });
    expect(maskSecrets('signing-unit-9')).toBe('•••');
  });

  it('when SLACK_BOT_TOKEN is set, then Slack is requested', () => {
    expect(slackRequested({ SLACK_BOT_TOKEN: 'xoxb-1' })).toBe(true);
    expect(slackRequested({ SLACK_SIGNING_SECRET: 'x' })).toBe(false);
  });
});

describe('slash command text', () => {
  it('when Slack escaped &, < and > and a phone curled the quotes, then the text reads as typed', () => {
    expect(slashText('--reason \u201Cdrain &gt; 10k &amp; rising\u201D')).toBe('--reason "drain > 10k & rising"');
    expect(slashText('it\u2019s &lt;b&gt;')).toBe("it's <b>");
    expect(slashText('&amp;gt;')).toBe('&gt;'); // decoded once, not twice
  });
});

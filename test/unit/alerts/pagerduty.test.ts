import { describe, expect, it } from 'vitest';
import { PagerDuty, PagerDutyError } from '../../../src/integrations/pagerduty/client.js';

describe('PagerDuty client configuration', () => {
  it('when PAGERDUTY_EVENTS_URL is plain http, then it is refused with the reason (pdjs only speaks https)', () => {
    expect(() => PagerDuty.fromEnv({ PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:8080' })).toThrow(/PAGERDUTY_EVENTS_URL must be an https URL/);
  });
  it('when PAGERDUTY_CA_FILE cannot be read, then the error names the variable and the file', () => {
    expect(() => PagerDuty.fromEnv({ PAGERDUTY_CA_FILE: '/nonexistent/ca.pem' })).toThrow(/PAGERDUTY_CA_FILE: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/);
  });
  it('when /oncall is asked without PAGERDUTY_API_TOKEN, then it says what to set', async () => {
    const err = await new PagerDuty({}).oncall().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerDutyError);
    expect((err as Error).message).toBe('PagerDuty REST API is not configured: set PAGERDUTY_API_TOKEN');
  });
  it('when the events endpoint refuses the connection, then the failure is retryable', async () => {
    const err = await new PagerDuty({ eventsUrl: 'https://127.0.0.1:1', timeoutMs: 2000 }).send({ routingKey: 'k'.repeat(32), action: 'resolve', dedupKey: 'd' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'PagerDutyError', retryable: true, message: expect.stringMatching(/^PagerDuty Events API unreachable: /) });
  });
});

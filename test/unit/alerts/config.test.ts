import { describe, expect, it } from 'vitest';
import { config } from '../../../src/config/index.js';

const base = { channels: { alerts: { slack: 'C0ALERTS1' } } };
const problems = (cfg: Record<string, unknown>) => {
  const r = config.safeParse({ ...base, ...cfg });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const sys = (schedules: unknown[], extra: Record<string, unknown> = {}) => ({ systems: { ledger: { schedules, ...extra } } });

describe('alerts and schedules in the config', () => {
  it('when nothing is said about alerts, then the defaults apply', () => {
    const c = config.parse(base);
    expect(c.alerts).toEqual({ routes: [], pagerduty: { routingKey: '' }, ackReaction: '👀', maxBodyBytes: 1_000_000 });
  });
  it('when a route names an unknown channel, then the problem names it and lists the channels', () => {
    expect(problems({ alerts: { routes: [{ match: { severity: 'critical' }, channel: 'alrets' }] } })).toEqual(['alerts.routes.0.channel: unknown channel "alrets" (channels: alerts)']);
  });
  it('when a schedule has a bad cron, an unknown check or action, or a bad time zone, then each is named', () => {
    expect(
      problems(
        sys(
          [
            { name: 'a', cron: 'every morning', run: ['health'] },
            { name: 'b', cron: '*/5 * * * *', run: ['latency', 'action:compact'] },
            { name: 'c', cron: '0 8 * * *', run: ['health'], timezone: 'Mars/Olympus' },
            { name: 'd', cron: '0 8 * * *', run: ['action:pause'], channel: 'nowhere' },
          ],
          { actions: { pause: { policy: { approvals: 2 }, steps: [{ kind: 'wait', duration: '1s' }] } } },
        ),
      ),
    ).toEqual([
      'systems.ledger.schedules.0.cron: not a cron expression: "every morning" (five fields, or six with seconds first, e.g. "*/5 * * * *")',
      'systems.ledger.schedules.1.run.0: unknown check "latency" (use health, a check name or action:<name>; checks: health)',
      'systems.ledger.schedules.1.run.1: unknown action "compact" (actions: pause)',
      'systems.ledger.schedules.2.timezone: unknown time zone "Mars/Olympus" (an IANA name like Europe/Berlin)',
      'systems.ledger.schedules.3.channel: unknown channel "nowhere" (channels: alerts)',
      'systems.ledger.schedules.3.run.0: action "pause" needs approvals; a schedule can only run actions without a policy',
    ]);
  });
  it('when a schedule is right, then it parses with its defaults', () => {
    const c = config.parse({ ...base, ...sys([{ name: 'health-5m', cron: '*/5 * * * *', run: ['health'] }]) });
    expect(c.systems.ledger!.schedules[0]).toEqual({ name: 'health-5m', cron: '*/5 * * * *', run: ['health'], channel: 'alerts', alertOnFailure: true, summary: 'always' });
  });
});

/**
 * Post-mortem drafts from the timeline, in the layout the runbooks ask for:
 * the MPC runbook's post-incident review, or the FinDAG incident report.
 * Placeholders mark what only a human knows.
 */
import { formatDuration, type Config } from '../config/index.js';
import type { Incident, TimelineEvent } from './types.js';

const FINDAG_SEVERITY: Record<string, string> = { sev1: 'Critical', sev2: 'High', sev3: 'Medium', sev4: 'Low' };
const TODO = (what: string) => `_(to fill in: ${what})_`;

export function postmortemTemplate(config: Config, inc: Incident): 'review' | 'report' {
  return inc.systems.map((s) => config.systems[s]?.postmortem).find(Boolean) ?? 'review';
}

function time(d: Date): string {
  return d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

function timelineTable(events: TimelineEvent[]): string {
  if (!events.length) return '_No events recorded._';
  return ['| time (UTC) | who | what |', '|---|---|---|', ...events.map((e) => `| ${e.at.toISOString().slice(11, 19)} | ${e.actor} | ${e.text.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`)].join('\n');
}

function actionsTaken(events: TimelineEvent[]): string {
  const acts = events.filter((e) => ['command', 'approval', 'vote', 'step', 'result'].includes(e.kind));
  return acts.length ? acts.map((e) => `- ${e.at.toISOString().slice(11, 19)} ${e.actor}: ${e.text}`).join('\n') : '- No commands or actions were run through Keyturn.';
}

export function renderPostmortem(config: Config, inc: Incident, events: TimelineEvent[], now: Date): string {
  const end = inc.resolvedAt ?? now;
  const duration = formatDuration(end.getTime() - inc.createdAt.getTime());
  const sev = config.incidents.severities[inc.severity];
  const alerts = events.filter((e) => e.kind === 'alert').length;
  if (postmortemTemplate(config, inc) === 'report') {
    return [
      'INCIDENT REPORT',
      '===============',
      '',
      `Incident: ${inc.id} — ${inc.title}`,
      `Date: ${inc.createdAt.toISOString().slice(0, 10)}`,
      `Time: ${time(inc.createdAt)} - ${inc.resolvedAt ? time(inc.resolvedAt) : 'ongoing'} (${duration})`,
      `Severity: ${FINDAG_SEVERITY[inc.severity]} (${inc.severity.toUpperCase()}: ${sev.description})`,
      `Affected Systems: ${inc.systems.join(', ') || TODO('affected systems')}`,
      '',
      'DESCRIPTION', '-----------', inc.resolution ?? TODO('detailed description of the incident'), '',
      'TIMELINE', '--------', timelineTable(events), '',
      'ROOT CAUSE', '----------', TODO('analysis of root cause'), '',
      'ACTIONS TAKEN', '-------------', actionsTaken(events), '',
      'RESOLUTION', '----------', inc.resolution ? `${inc.resolution} (resolved ${inc.resolvedAt ? time(inc.resolvedAt) : ''})` : TODO('how the incident was resolved'), '',
      'LESSONS LEARNED', '--------------', TODO('what was learned and improvements needed'), '',
      'PREVENTION', '----------', '- [ ] Code fixes', '- [ ] Monitoring improvements', '- [ ] Documentation updates', '- [ ] Runbook updates', '',
    ].join('\n');
  }
  return [
    `# Post-incident review: ${inc.title}`,
    '',
    `- Incident: ${inc.id}`,
    `- Severity: ${inc.severity.toUpperCase()} — ${sev.description}`,
    `- Affected systems: ${inc.systems.join(', ') || TODO('affected systems')}`,
    `- Declared: ${time(inc.createdAt)} by ${inc.declaredBy}`,
    `- Resolved: ${inc.resolvedAt ? time(inc.resolvedAt) : 'not yet'}`,
    `- Duration: ${duration}`,
    `- Commander: ${inc.commander ?? TODO('commander')}; scribe: ${inc.scribe ?? TODO('scribe')}`,
    '',
    '## Summary', '', inc.resolution ?? TODO('what happened, in two sentences'), '',
    '## Impact', '', `- User impact: ${TODO('who was affected and how')}`, `- Duration: ${duration}`, `- Data loss: ${TODO('none / what')}`, `- Alerts during the incident: ${alerts}`, '',
    '## Timeline', '', timelineTable(events), '',
    '## Actions taken', '', actionsTaken(events), '',
    '## Root cause', '', TODO('what actually caused the incident?'), '',
    '## What went well', '', `- ${TODO('effective actions taken')}`, '',
    '## What went wrong', '', `- ${TODO('gaps in process or tools')}`, '',
    '## Action items', '', '- [ ] Code fixes', '- [ ] Monitoring improvements', '- [ ] Documentation updates', '- [ ] Runbook updates', '',
  ].join('\n');
}

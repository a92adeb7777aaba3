/**
 * Load-time references of the ssh kinds: they need the system's `ssh`
 * settings, their hosts must be in `ssh.hosts` (a `{{params.node}}` host:
 * every node of the system), and placeholders in a command must name a
 * parameter the action declares. Reported with the field's path.
 */
import { PLACEHOLDER } from '../../runbooks/template.js';
import type { Path, Refs } from '../crosscheck-helpers.js';

const STEP_KINDS = ['systemd', 'ssh-exec'];
const CHECK_KINDS = ['systemd-unit', 'ssh-exec'];

export function crossCheckSsh({ sys, issue }: Refs): void {
  const hosts = Object.keys(sys.ssh?.hosts ?? {});
  const knownHost = (h: string, path: Path) => {
    if (sys.ssh && !hosts.includes(h)) issue(path, `unknown host "${h}" (ssh.hosts: ${hosts.join(', ') || 'none'})`);
  };
  const nodesHaveHosts = (path: Path, via: string) => {
    const missing = sys.nodes.map((n) => n.name).filter((n) => !hosts.includes(n));
    if (sys.ssh && missing.length) issue(path, `${via} names a node, but node${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ha${missing.length === 1 ? 's' : 've'} no entry in ssh.hosts`);
  };

  sys.checks.forEach((c, i) => {
    if (!CHECK_KINDS.includes(c.kind)) return;
    if (!sys.ssh) return issue(['checks', i, 'kind'], `${c.kind} needs the system's \`ssh\` settings`);
    (c.hosts as string[] | undefined)?.forEach((h, j) => knownHost(h, ['checks', i, 'hosts', j]));
  });

  for (const [an, act] of Object.entries(sys.actions)) {
    const params = new Map((act.params ?? []).map((p) => [p.name, p.type ?? 'string']));
    [...act.steps.map((s, i) => ['steps', i, s] as const), ...act.finally.map((s, i) => ['finally', i, s] as const)].forEach(([where, i, s]) => {
      if (!STEP_KINDS.includes(s.kind)) return;
      const at: Path = ['actions', an, where, i];
      if (!sys.ssh) return issue([...at, 'kind'], `${s.kind} needs the system's \`ssh\` settings`);
      const refs = (text: string, path: Path) => {
        for (const m of text.matchAll(PLACEHOLDER)) {
          const [head, name] = m[1]!.split('.');
          if (head === 'params' && !params.has(name!)) issue(path, `{{${m[1]}}} is not a parameter of action ${an} (params: ${[...params.keys()].join(', ') || 'none'})`);
        }
      };
      const host = String(s.host);
      const ph = /^\{\{\s*(params\.([a-zA-Z0-9_-]+)|node\.name)\s*\}\}$/.exec(host);
      if (!host.includes('{{')) knownHost(host, [...at, 'host']);
      else if (ph?.[2] && params.get(ph[2]) === 'node') nodesHaveHosts([...at, 'host'], `{{params.${ph[2]}}}`);
      else if (ph?.[1] === 'node.name') nodesHaveHosts([...at, 'host'], '{{node.name}}');
      else if (ph?.[2] && params.has(ph[2])) issue([...at, 'host'], `{{params.${ph[2]}}} must be a parameter of type node (so it can only name a node, each with its entry in ssh.hosts)`);
      refs(host, [...at, 'host']);
      if (Array.isArray(s.command)) (s.command as string[]).forEach((a, j) => refs(a, [...at, 'command', j]));
    });
  }
}

import type { Message } from '../core/message.js';
import type { CheckResult } from './types.js';

const NAME: Record<string, string> = { health: 'Health' };

export function checkMessage(r: CheckResult): Message {
  return {
    title: `${NAME[r.check] ?? r.check} · ${r.system}: ${r.status === 'ok' ? 'OK' : r.status.toUpperCase()}`,
    status: r.status,
    text: r.summary,
    table: r.table,
    fields: r.fields,
    footer: `checked in ${Math.round(r.durationMs)} ms`,
  };
}

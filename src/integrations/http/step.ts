/** `http` action steps: method, URL, headers (secrets by ${env:...}), JSON body, expected status / field. */
import { maskedExcerpt, maskSecrets } from '../../core/secrets.js';
import { httpRequest, jsonPath } from './client.js';
import { renderJson, renderText, renderUrl } from '../../runbooks/template.js';
import type { StepContext, StepExecutor, StepOutcome } from '../contracts.js';
import { resolveSecretRef } from './secret-ref.js';
import type { HttpStep } from './schema.js';

/** `resolve`: the run reads each secretRefs value; the plan checks it and shows the reference instead. */
async function build(step: HttpStep, ctx: StepContext, mode: 'plan' | 'run' = 'run') {
  const url = renderUrl(step.url, ctx.vars);
  if (!/^https?:\/\//.test(url)) throw new Error(`step URL must be http(s), got ${maskSecrets(url)}`);
  const headers = Object.fromEntries(Object.entries(step.headers).map(([k, v]) => [k, renderText(v, ctx.vars)]));
  let body = step.body === undefined ? undefined : renderJson(step.body, ctx.vars);
  const refs = Object.entries(step.secretRefs ?? {});
  if (refs.length) {
    const fields: Record<string, unknown> = body && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
    for (const [field, rule] of refs) {
      const ref = renderText(rule.ref, ctx.vars);
      const value = await resolveSecretRef(ref, rule);
      fields[field] = mode === 'run' ? value : `<value of ${ref}>`;
    }
    body = fields;
  }
  return { url, headers, body };
}

export const httpStepExecutor: StepExecutor<HttpStep> = {
  kind: 'http',
  async plan(step, ctx) {
    const { url, headers, body } = await build(step, ctx, 'plan');
    const hdrs = Object.keys(headers).length ? ` headers: ${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join(', ')}` : '';
    return maskSecrets(`${step.method} ${url}${body !== undefined ? ` body: ${JSON.stringify(body)}` : ''}${hdrs}`);
  },
  async run(step, ctx): Promise<StepOutcome> {
    const { url, headers, body } = await build(step, ctx);
    const res = await httpRequest({ method: step.method, url, headers, body, timeoutMs: step.timeout, signal: ctx.signal });
    const expected = step.expect.status === undefined ? null : Array.isArray(step.expect.status) ? step.expect.status : [step.expect.status];
    const statusOk = expected ? expected.includes(res.status) : res.status >= 200 && res.status < 300;
    const snippet = maskedExcerpt(res.text, 200).replace(/\s+/g, ' ');
    if (!statusOk) return { ok: false, summary: `HTTP ${res.status}${expected ? ` (expected ${expected.join(' or ')})` : ''}: ${snippet}`, detail: { status: res.status } };
    if (step.expect.field) {
      const got = jsonPath(res.json, step.expect.field);
      if (step.expect.equals !== undefined && JSON.stringify(got) !== JSON.stringify(step.expect.equals)) {
        return { ok: false, summary: `${step.expect.field} is ${JSON.stringify(got)}, expected ${JSON.stringify(step.expect.equals)}`, detail: { status: res.status } };
      }
    }
    return { ok: true, summary: `HTTP ${res.status} in ${Math.round(res.latencyMs)} ms${snippet ? `: ${snippet}` : ''}`, detail: { status: res.status } };
  },
};

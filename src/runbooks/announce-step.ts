/**
 * Step kind `announce`: posts one message to a named channel on every running
 * platform, optionally with @channel (the mUSD runbook's "@channel EMERGENCY
 * PAUSE ACTIVATED — reason"), optionally only after an earlier step failed
 * (an escalation in `finally`). Approvers see the exact text in the plan.
 */
import type { AnnounceStep } from '../config/index.js';
import type { Message } from '../core/message.js';
import { UserError } from '../core/errors.js';
import { maskSecrets } from '../core/secrets.js';
import { renderText } from './template.js';
import type { StepContext, StepExecutor } from '../integrations/contracts.js';

function message(step: AnnounceStep, ctx: StepContext): Message {
  const vars = { ...ctx.vars, failure: ctx.failure ?? '' };
  return {
    title: maskSecrets(renderText(step.title, vars)),
    text: step.text === undefined ? undefined : maskSecrets(renderText(step.text, vars)),
    status: step.status,
    mentionChannel: step.mentionChannel || undefined,
  };
}

const condition = (when: AnnounceStep['when']) => (when === 'failed' ? ' (only if an earlier step failed)' : when === 'succeeded' ? ' (only if every earlier step succeeded)' : '');

export const announceStepExecutor: StepExecutor<AnnounceStep> = {
  kind: 'announce',
  async plan(step, ctx) {
    if (step.requireReason && !String(ctx.vars.reason ?? '').trim()) {
      throw new UserError('this action announces why it ran: request it again with --reason "<why>"', 'plan.reason');
    }
    const m = message(step, ctx);
    return `post to ${step.channel}${step.mentionChannel ? ' with @channel' : ''}${condition(step.when)}: "${m.title}"`;
  },
  async run(step, ctx) {
    if (step.when === 'failed' && !ctx.failure) return { ok: true, summary: 'not posted: no earlier step failed' };
    if (step.when === 'succeeded' && ctx.failure) return { ok: true, summary: 'not posted: an earlier step failed' };
    const m = message(step, ctx);
    const { posted, running } = await ctx.announce(step.channel, m);
    // Saying nothing while reporting success would hide that nobody was told.
    if (!posted.length) return { ok: false, summary: `channel ${step.channel} has no id on any running platform (${running.join(', ') || 'none'}): nothing was posted` };
    return { ok: true, summary: `posted to ${step.channel}${step.mentionChannel ? ' with @channel' : ''} (${posted.join(', ')}): ${m.title}` };
  },
};

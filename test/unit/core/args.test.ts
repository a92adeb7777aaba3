import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseArgs, arg, describeShape, usageLine } from '../../../src/core/args.js';
import { tokenize } from '../../../src/core/tokenize.js';
import { UserError } from '../../../src/core/errors.js';

const args = { system: arg.system(), node: arg.node() };
const flags = { reason: z.string().min(1).describe('why').optional(), force: arg.flag('skip checks') };
const usage = usageLine('/unban', describeShape(args), describeShape(flags));

function fails(text: string): UserError {
  try {
    parseArgs(text, args, flags, usage);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error(`expected "${text}" to fail`);
}

describe('tokenize', () => {
  it('when words are quoted, then quotes group them and are removed', () => {
    expect(tokenize(`a "b c" 'd e' f`).map((t) => t.value)).toEqual(['a', 'b c', 'd e', 'f']);
  });
  it('when Slack substitutes curly quotes, then they group like straight ones', () => {
    expect(tokenize('--reason “false positive”').map((t) => t.value)).toEqual(['--reason', 'false positive']);
  });
  it('when a backslash escapes a character, then it is taken literally', () => {
    expect(tokenize('a\\ b "c\\"d"').map((t) => t.value)).toEqual(['a b', 'c"d']);
  });
  it('when a quote is not closed, then the error says where', () => {
    expect(() => tokenize('unban "node-3')).toThrow(/Unterminated quote " at position 7/);
  });
  it('when the text is empty, then there are no tokens', () => {
    expect(tokenize('   ')).toEqual([]);
  });
});

describe('parseArgs', () => {
  it('when positional args and a quoted flag are given, then all are parsed', () => {
    const r = parseArgs('mpc-wallet node-3 --reason "false positive"', args, flags, usage);
    expect(r.args).toEqual({ system: 'mpc-wallet', node: 'node-3' });
    expect(r.flags).toEqual({ reason: 'false positive', force: false });
  });
  it('when a flag uses = and a boolean flag is present, then both parse', () => {
    const r = parseArgs('--reason=x mpc-wallet node-3 --force', args, flags, usage);
    expect(r.flags).toEqual({ reason: 'x', force: true });
  });
  it('when an unknown flag is given, then the error names it and lists the valid ones', () => {
    const e = fails('mpc-wallet node-3 --resaon x');
    expect(e.code).toBe('args.unknown-flag');
    expect(e.message).toContain('Unknown flag --resaon');
    expect(e.message).toContain('--reason, --force');
  });
  it('when an argument is missing, then the error names it and shows usage', () => {
    const e = fails('mpc-wallet');
    expect(e.code).toBe('args.missing');
    expect(e.message).toMatch(/^Missing <node> \(node name\)/);
    expect(e.message).toContain('Usage: /unban <system> <node> [--reason <text>] [--force]');
  });
  it('when there is an extra argument, then it is named', () => {
    const e = fails('mpc-wallet node-3 node-4');
    expect(e.code).toBe('args.extra');
    expect(e.message).toContain('Unexpected argument "node-4"');
  });
  it('when a value flag has no value, then it says so', () => {
    expect(fails('mpc-wallet node-3 --reason').message).toContain('Flag --reason needs a value');
  });
  it('when a flag is repeated, then it is refused', () => {
    expect(fails('a b --reason x --reason y').code).toBe('args.duplicate-flag');
  });
  it('when a quoted value looks like a flag, then it is a value', () => {
    const r = parseArgs('mpc-wallet "--weird"', args, flags, usage);
    expect(r.args.node).toBe('--weird');
  });
  it('when a rest argument is declared, then it takes the remaining words', () => {
    const shape = { level: z.enum(['sev1', 'sev2']), title: arg.text('title') };
    const r = parseArgs('sev1 Signing is down everywhere', shape, {}, '/x');
    expect(r.args).toEqual({ level: 'sev1', title: 'Signing is down everywhere' });
  });
  it('when /run parameters quote a value, then the params text keeps it one value for their second parse', () => {
    const shape = { system: arg.system(), action: arg.action(), params: arg.params('name=value ...').optional() };
    const typed = parseArgs('dytallix topup amount=5000 note="weekly top-up"', shape, {}, '');
    expect(tokenize(typed.args.params as string).map((t) => t.value)).toEqual(['amount=5000', 'note=weekly top-up']);
    // Discord sends every parameter in one option, quoted as a whole: it is handed over as written.
    const whole = parseArgs('dytallix topup "amount=5000 note=\\"weekly top-up\\""', shape, {}, '');
    expect(whole.args.params).toBe('amount=5000 note="weekly top-up"');
  });
  it('when a value fails its schema, then the error names the argument and the value', () => {
    const shape = { level: z.enum(['sev1', 'sev2']) };
    expect(() => parseArgs('sev9', shape, {}, '/x')).toThrow(/<level>: .*"sev9"/);
  });
  it('when an integer flag gets text, then it is refused with the flag name', () => {
    const f = { limit: z.coerce.number().int().min(1) };
    expect(() => parseArgs('--limit many', {}, f, '/audit')).toThrow(/--limit: .*"many"/);
  });
});

describe('describeShape', () => {
  it('when describing args, then types, optionality and completion kinds come from the zod schema', () => {
    const d = describeShape({ system: arg.system(), n: z.coerce.number().int().optional(), yes: arg.flag('y') });
    expect(d).toMatchObject([
      { name: 'system', type: 'string', required: true, complete: 'system' },
      { name: 'n', type: 'integer', required: false },
      { name: 'yes', type: 'boolean', required: false },
    ]);
  });
});

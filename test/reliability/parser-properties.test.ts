import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { parseArgs, arg, describeShape, usageLine } from '../../src/core/args.js';
import { tokenize } from '../../src/core/tokenize.js';
import { UserError } from '../../src/core/errors.js';
import { parseActionParams } from '../../src/approvals/params.js';
import { action, system } from '../../src/config/schema.js';

const args = { system: arg.system(), node: arg.node() };
const flags = { reason: z.string().min(1).optional(), force: arg.flag('f') };
const usage = usageLine('/unban', describeShape(args), describeShape(flags));

/** Quotes a token the way a careful user would, so tokenize gives it back unchanged. */
const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

describe('command parser properties', () => {
  it('when given any text at all, then it either parses or throws a UserError with a message, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        try {
          parseArgs(text, args, flags, usage);
        } catch (e) {
          expect(e).toBeInstanceOf(UserError);
          expect((e as UserError).message.length).toBeGreaterThan(5);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('when any list of words is quoted and joined, then tokenize returns exactly those words', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 12 }), (words) => {
        expect(tokenize(words.map(quote).join(' ')).map((t) => t.value)).toEqual(words);
      }),
      { numRuns: 1000 },
    );
  });

  it('when positional values contain shell and SQL metacharacters, then they arrive verbatim as values, never as flags or extra args', () => {
    const nasty = fc.constantFrom("'; DROP TABLE audit_log; --", '$(rm -rf /)', '`id`', '| nc evil 1', '&& reboot', '--force', '../../etc/passwd', '\u0000', '🔥🔥', 'é\u0301');
    fc.assert(
      fc.property(nasty, nasty, (a, b) => {
        const r = parseArgs(`${quote(a)} ${quote(b)}`, args, flags, usage);
        expect(r.args).toEqual({ system: a, node: b });
        expect(r.flags.force).toBe(false);
      }),
    );
  });

  it('when an argument is 10 kB long, then parsing still answers (with the value or a clear error)', () => {
    const big = 'x'.repeat(10_000);
    expect(parseArgs(`mpc-wallet ${big}`, args, flags, usage).args.node).toHaveLength(10_000);
    expect(() => parseArgs(`"${big}`, args, flags, usage)).toThrow(/Unterminated quote/);
  });
});

describe('action parameter validation', () => {
  const sys = system.parse({ nodes: [{ name: 'node-3' }] });
  const act = action.parse({
    params: [
      { name: 'node', type: 'node' },
      { name: 'amount', type: 'number', required: false },
      { name: 'label', type: 'string', required: false },
    ],
    steps: [{ kind: 'wait', duration: '1s' }],
  });

  it('when a string parameter carries shell, SQL or quote characters, then it is refused before anything is stored', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 50 }).filter((s) => /[^A-Za-z0-9._:@/+-]/.test(s) && !s.includes('=')), (bad) => {
        expect(() => parseActionParams(act, 'x', sys, ['node-3', '1', bad])).toThrow(UserError);
      }),
      { numRuns: 500 },
    );
  });

  it('when a node parameter is not a node of the system, then the error suggests the right one', () => {
    expect(() => parseActionParams(act, 'unban', sys, ['node-8'])).toThrow(/Unknown node "node-8"\. Did you mean \*node-3\*\?/);
  });

  it('when a number is not a number, then it is refused naming the parameter', () => {
    expect(() => parseActionParams(act, 'x', sys, ['node-3', 'amount=1e400'])).toThrow(/Parameter amount: expected a number/);
    expect(() => parseActionParams(act, 'x', sys, ['node-3', 'ammount=5'])).toThrow(/x has no parameter "ammount"/);
  });
});

// Interaction options back to command text: whatever a person types into a
// Discord option reaches the command as exactly that value.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandText, interactionCommand, quoteArg, rootSubcommandName, type OptionSource, type OptionValue } from '../../../adapters/discord/command-text.js';
import { CommandRegistry } from '../../../src/core/registry.js';
import audit from '../../../commands/audit.js';
import run from '../../../commands/run.js';
import { parseArgs, type ArgInfo } from '../../../src/core/args.js';
import { tokenize } from '../../../src/core/tokenize.js';
import { UserError } from '../../../src/core/errors.js';

const interaction = (commandName: string, values: Record<string, OptionValue>, sub: string | null = null): OptionSource => ({
  commandName,
  options: {
    getSubcommand: () => sub,
    get: (name) => (name in values ? { value: values[name] } : null),
  },
});

describe('quoteArg', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(quoteArg('mpc-wallet')).toBe('mpc-wallet');
    expect(quoteArg('drain suspected')).toBe('"drain suspected"');
    expect(quoteArg('--force')).toBe('"--force"');
    expect(quoteArg('say "hi" \\o/')).toBe('"say \\"hi\\" \\\\o/"');
    expect(quoteArg('')).toBe('""');
  });

  it('for any string, the tokenizer reads back exactly one token with that value', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('"', "'", '\\', ' ', '“', '”', '‘', '’', '„', '-', '\t'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })) }), (s) => {
        expect(tokenize(quoteArg(s)).map((t) => t.value)).toEqual([s]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('commandText', () => {
  const arg = (name: string, extra: Partial<ArgInfo> = {}): ArgInfo => ({ name, type: 'string', required: false, description: '', rest: false, ...extra });

  it('puts positional values in order and flags as --name value, booleans as --name / --name=false', () => {
    const text = commandText([arg('system'), arg('node')], [arg('reason'), arg('force', { type: 'boolean' }), arg('dry', { type: 'boolean' })], (n) => ({ system: 'mpc', node: 'n 1', reason: 'it is "down"', force: true, dry: false })[n], '/x');
    expect(text).toBe('mpc "n 1" --reason "it is \\"down\\"" --force --dry=false');
  });

  it('when a later argument is given without an earlier one, then it says which one is missing', () => {
    const err = (() => {
      try {
        commandText([arg('system'), arg('check')], [], (n) => (n === 'check' ? 'latency' : undefined), '/check <system> [check]');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe('Give <system> too when you give <check>: arguments are filled in order.\nUsage: /check <system> [check]');
  });
});

describe('interactionCommand with the real commands', () => {
  let registry: CommandRegistry;
  beforeAll(async () => {
    // Just the commands under test, so other commands' changes cannot break these tests.
    registry = new CommandRegistry([audit, run]);
  });

  it('rebuilds /run with free-text params so the command parses them like typed text', () => {
    const r = interactionCommand(registry, interaction('run', { system: 'dytallix', action: 'topup', params: 'amount=5000 note="weekly top-up"', reason: 'low balance' }));
    expect(r).toEqual({ command: 'run', text: 'dytallix topup "amount=5000 note=\\"weekly top-up\\"" --reason "low balance"' });
    const def = registry.get('run')!;
    const parsed = parseArgs(r.text, def.args!, def.flags!, '');
    expect(parsed.args).toEqual({ system: 'dytallix', action: 'topup', params: 'amount=5000 note="weekly top-up"' });
    expect(tokenize(parsed.args.params as string).map((t) => t.value)).toEqual(['amount=5000', 'note=weekly top-up']);
  });

  it('maps /audit show to the root handler and /audit verify to the subcommand', () => {
    const audit = registry.get('audit')!;
    expect(rootSubcommandName(audit)).toBe('show');
    expect(interactionCommand(registry, interaction('audit', { filter: 'r-1a2b3c', limit: 5 }, 'show'))).toEqual({ command: 'audit', text: 'r-1a2b3c --limit 5' });
    expect(interactionCommand(registry, interaction('audit', {}, 'verify'))).toEqual({ command: 'audit', text: 'verify' });
  });

  it('passes an unknown command through for the dispatcher to answer', () => {
    expect(interactionCommand(registry, interaction('frobnicate', { x: 'y' }))).toEqual({ command: 'frobnicate', text: '' });
  });
});

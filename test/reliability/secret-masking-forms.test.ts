// The masker against the two ways the whole-flow scan found secrets slipping past it: a secret
// escaped inside JSON (a target echoing it in its JSON error, a log line), and an excerpt cut
// before masking, which leaves the piece of a secret straddling the cut behind.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { maskedExcerpt, maskSecrets, registerSecret } from '../../src/core/secrets.js';

// Quote, backslash, regex metacharacters, a non-ASCII letter; the hex tail is what a leak check looks for.
const SECRET = 'kt"\\.*+?^$(x)|[y]{z}é-9f3a61c0d4b27e85';
const TAIL = '9f3a61c0d4b27e85';
registerSecret(SECRET);

/** True when any 6 consecutive characters of the tail survived. */
const leaksPiece = (text: string) => Array.from({ length: TAIL.length - 5 }, (_, i) => TAIL.slice(i, i + 6)).some((p) => text.includes(p));

describe('masking secrets in the forms they take', () => {
  it('when a JSON answer echoes the secret, escaped once or twice, then it is masked', () => {
    const once = JSON.stringify({ received: `Bearer ${SECRET}` });
    const twice = JSON.stringify({ body: once });
    const url = `https://x.test/cb?token=${encodeURIComponent(SECRET)}`;
    for (const text of [once, twice, url]) {
      expect(text).toContain(TAIL);
      expect(leaksPiece(maskSecrets(text)), maskSecrets(text)).toBe(false);
    }
  });

  it('when a log line carries the secret in a message and a field, then the written line holds no piece of it', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) as never });
    log.info({ answer: `{"received":"${SECRET}"}`, nested: { note: SECRET } }, `step failed: ${SECRET}`);
    expect(lines).toHaveLength(1);
    expect(leaksPiece(lines[0]!), lines[0]).toBe(false);
  });

  it('when an excerpt is cut anywhere across the secret, from the start or the end, then no piece of it survives', () => {
    fc.assert(
      fc.property(fc.nat(300), fc.nat(300), fc.integer({ min: 1, max: 400 }), fc.boolean(), (before, after, max, fromEnd) => {
        const text = `${'a'.repeat(before)}${SECRET}${'b'.repeat(after)}`;
        const out = maskedExcerpt(text, max, fromEnd ? 'end' : 'start');
        expect(out.length).toBeLessThanOrEqual(max);
        expect(leaksPiece(out), out).toBe(false);
        // Text around the secret is kept: the excerpt is as long as the masked text allows.
        expect(out.length).toBe(Math.min(max, maskSecrets(text).length));
      }),
      { numRuns: 500 },
    );
  });
});

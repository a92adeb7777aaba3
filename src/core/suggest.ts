/** "Did you mean" suggestions by edit distance. */
export function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function closest(input: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = o.startsWith(input) || input.startsWith(o) ? 1 : levenshtein(input.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** `unknown system "mpc-walet". Did you mean mpc-wallet? (known: a, b)` */
export function unknownName(kind: string, input: string, options: string[], say: { known?: string; none?: string } = {}): string {
  const guess = closest(input, options);
  // Things that come and go (requests, incidents) are not "configured": the caller says what to say.
  const known = options.length ? ` ${say.known ?? `Known ${kind}s`}: ${options.join(', ')}.` : ` ${say.none ?? `No ${kind}s are configured.`}`;
  return `Unknown ${kind} "${input}".${guess ? ` Did you mean *${guess}*?` : ''}${known}`;
}

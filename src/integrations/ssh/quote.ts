/**
 * argv -> one command line for the remote shell. SSH carries a string, which
 * the login shell (sh, bash, dash, zsh: POSIX quoting) splits again; every
 * argument is single-quoted so spaces, ;, $(...), backticks, quotes and
 * newlines reach the program as one literal argument. `exec` makes the
 * program replace the shell, so killing the session kills the program.
 */
export function shQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument cannot contain a NUL byte');
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(argv: string[]): string {
  if (argv.length === 0 || argv[0] === '') throw new Error('empty command');
  return `exec ${argv.map(shQuote).join(' ')}`;
}

/** How an argv reads in plans and results: plain words bare, anything else JSON-quoted (unambiguous, one line). */
export function showArgv(argv: string[]): string {
  return argv.map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

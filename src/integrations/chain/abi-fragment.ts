/**
 * Is this a human-readable ABI function fragment ethers 6 accepts ("function paused() view returns (bool)")?
 *
 * Why not ethers' own FunctionFragment.from: the config is validated at every start, and importing ethers
 * for it kept ~23 MB resident in a bot that may never run a chain check (issue 22). This is a port of the
 * string path of ethers' parser (lib.esm/abi/fragments.js: lex, TokenString, FunctionFragment.from,
 * ParamType.from), quirks included, so it accepts exactly what ethers accepts; the chain client still
 * parses with ethers when a check runs. test/unit/integrations/chain-abi-fragment.test.ts holds the two side by side.
 */

const KW_VISIB = new Set('constant external internal payable private public pure view override'.split(' '));
const KW_TYPES = new Set('constructor error event fallback function receive struct'.split(' '));
const KW_MODIFIERS = new Set('calldata memory storage payable indexed'.split(' '));
const KEYWORDS = new Set([...KW_TYPES, ...KW_MODIFIERS, 'tuple', 'returns', ...KW_VISIB]);
const SIMPLE: Record<string, string> = { '(': 'OPEN_PAREN', ')': 'CLOSE_PAREN', '[': 'OPEN_BRACKET', ']': 'CLOSE_BRACKET', ',': 'COMMA', '@': 'AT' };
const ID_PREFIX = /^([a-zA-Z$_][a-zA-Z0-9$_]*)/;
const NUMBER_PREFIX = /^([0-9]+)/;
const TYPE = /^(address|bool|bytes([0-9]*)|string|u?int([0-9]*))$/;

interface Token {
  type: string;
  text: string;
  match: number;
  linkNext: number;
}

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  const parens: number[] = [];
  const commas: number[] = [];
  let offset = 0;
  while (offset < text.length) {
    offset += /^(\s*)/.exec(text.substring(offset))![1]!.length;
    const cur = text.substring(offset);
    const token: Token = { type: '', text: '', match: -1, linkNext: -1 };
    tokens.push(token);
    const simple = SIMPLE[cur[0]!];
    if (simple) {
      token.type = simple;
      token.text = cur[0]!;
      offset++;
      if (simple === 'OPEN_PAREN') {
        parens.push(tokens.length - 1);
        commas.push(tokens.length - 1);
      } else if (simple === 'CLOSE_PAREN') {
        if (parens.length === 0) throw new Error('no matching open bracket');
        token.match = parens.pop()!;
        tokens[token.match]!.match = tokens.length - 1;
        tokens[commas.pop()!]!.linkNext = tokens.length - 1;
      } else if (simple === 'COMMA') {
        tokens[commas.pop()!]!.linkNext = tokens.length - 1;
        commas.push(tokens.length - 1);
      } else if (simple === 'OPEN_BRACKET') {
        token.type = 'BRACKET';
      } else if (simple === 'CLOSE_BRACKET') {
        let suffix = tokens.pop()!.text;
        if (tokens.length > 0 && tokens[tokens.length - 1]!.type === 'NUMBER') suffix = tokens.pop()!.text + suffix;
        if (tokens.length === 0 || tokens[tokens.length - 1]!.type !== 'BRACKET') throw new Error('missing opening bracket');
        tokens[tokens.length - 1]!.text += suffix;
      }
      continue;
    }
    let m = ID_PREFIX.exec(cur);
    if (m) {
      token.text = m[1]!;
      offset += token.text.length;
      token.type = KEYWORDS.has(token.text) ? 'KEYWORD' : TYPE.test(token.text) ? 'TYPE' : 'ID';
      continue;
    }
    m = NUMBER_PREFIX.exec(cur);
    if (m) {
      token.text = m[1]!;
      token.type = 'NUMBER';
      offset += token.text.length;
      continue;
    }
    throw new Error(`unexpected token at position ${offset}`);
  }
  return tokens;
}

/** ethers' TokenString: a window on the token list, its links shifted to the window's start. */
class Tokens {
  private offset = 0;
  constructor(private readonly tokens: Token[]) {}
  get length(): number {
    return this.tokens.length - this.offset;
  }
  private sub(from: number, to: number): Tokens {
    return new Tokens(this.tokens.slice(from, to).map((t) => ({ ...t, match: t.match - from, linkNext: t.linkNext - from })));
  }
  peek(): Token {
    if (this.offset >= this.tokens.length) throw new Error('out-of-bounds');
    return this.tokens[this.offset]!;
  }
  pop(): Token {
    const t = this.peek();
    this.offset++;
    return t;
  }
  peekType(type: string): string | null {
    if (this.length === 0) return null;
    const top = this.peek();
    return top.type === type ? top.text : null;
  }
  popType(type: string): string {
    if (this.peek().type !== type) throw new Error(`expected ${type}`);
    return this.pop().text;
  }
  popParams(): Tokens[] {
    const top = this.peek();
    if (top.type !== 'OPEN_PAREN') throw new Error('bad start');
    const out: Tokens[] = [];
    while (this.offset < top.match - 1) {
      const link = this.peek().linkNext;
      out.push(this.sub(this.offset + 1, link));
      this.offset = link;
    }
    this.offset = top.match + 1;
    return out;
  }
  /** Consecutive keywords from `allowed`; a repeated one is an error. */
  keywords(allowed: Set<string>): Set<string> {
    const seen = new Set<string>();
    for (;;) {
      const k = this.peekType('KEYWORD');
      if (k == null || !allowed.has(k)) return seen;
      this.pop();
      if (seen.has(k)) throw new Error(`duplicate keyword ${k}`);
      seen.add(k);
    }
  }
}

function basicType(type: string): void {
  const m = TYPE.exec(type);
  if (!m) throw new Error('invalid type');
  if (m[2]) {
    const n = parseInt(m[2]);
    if (n === 0 || n > 32) throw new Error('invalid bytes length');
  } else if (m[3]) {
    const n = parseInt(m[3]);
    if (n === 0 || n > 256 || n % 8 !== 0) throw new Error('invalid numeric width');
  }
}

/** ParamType.from(TokenString) without `allowIndexed` (a function's parameters are never indexed). */
function param(t: Tokens): void {
  if (t.keywords(new Set(['tuple'])).has('tuple') || t.peekType('OPEN_PAREN')) t.popParams().forEach(param);
  else basicType(t.popType('TYPE'));
  while (t.length && t.peekType('BRACKET')) t.pop();
  if (t.keywords(KW_MODIFIERS).has('indexed')) throw new Error('indexed');
  if (t.peekType('ID')) t.pop();
  if (t.length) throw new Error('leftover tokens');
}

/** True when ethers' FunctionFragment.from(text) would succeed. */
export function isFunctionFragment(text: string): boolean {
  try {
    const t = new Tokens(lex(text));
    const kw = t.peekType('KEYWORD');
    if (kw != null && KW_TYPES.has(kw) && t.pop().text !== 'function') return false;
    t.popType('ID');
    t.popParams().forEach(param);
    t.keywords(KW_VISIB);
    if (t.keywords(new Set(['returns'])).has('returns')) t.popParams().forEach(param);
    if (t.peekType('AT')) {
      t.pop();
      if (!t.peekType('NUMBER')) return false;
      t.pop();
    }
    return t.length === 0;
  } catch {
    return false;
  }
}

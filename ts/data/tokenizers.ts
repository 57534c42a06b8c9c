/**
 * Tokenizers: text → tokens → text. `CharTokenizer` splits into Unicode code points;
 * `WordTokenizer` finds words (and, by default, punctuation marks) with a regular expression.
 */
import { describe } from '../errors';
import { boolArg, choiceArg, optionsArg, stringArg, stringArrayArg } from './args';

/** What both tokenizers offer. */
export interface Tokenizer {
  /** Splits `text` into tokens. */
  tokenize(text: string): string[];
  /** Joins tokens back into text. */
  detokenize(tokens: readonly string[]): string;
}

/** Options of `CharTokenizer`. */
export interface CharTokenizerOptions {
  /** Lower-case the text first (`String.prototype.toLowerCase`, locale-independent). Default `false`. */
  lowercase?: boolean;
}

/**
 * One token per Unicode code point (a character outside the Basic Multilingual Plane, such as an
 * emoji, is one token, not two UTF-16 halves). `detokenize` concatenates, so
 * `detokenize(tokenize(s)) === s` for every string when `lowercase` is off.
 */
export class CharTokenizer implements Tokenizer {
  /** Whether text is lower-cased before splitting. */
  readonly lowercase: boolean;

  /** A character tokenizer; see `CharTokenizerOptions` for the defaults. */
  constructor(options?: CharTokenizerOptions) {
    const o = optionsArg('options', options, ['lowercase']);
    this.lowercase = boolArg('lowercase', o.lowercase, false);
  }

  /** The code points of `text` (lower-cased first with `lowercase`). */
  tokenize(text: string): string[] {
    const t = stringArg('text', text);
    return Array.from(this.lowercase ? t.toLowerCase() : t);
  }

  /** The tokens concatenated. */
  detokenize(tokens: readonly string[]): string {
    return stringArrayArg('tokens', tokens).join('');
  }
}

/** What `WordTokenizer` does with punctuation tokens. */
export type PunctuationPolicy = 'keep' | 'drop';

/** Options of `WordTokenizer`. */
export interface WordTokenizerOptions {
  /** Lower-case the text first (locale-independent). Default `false`. */
  lowercase?: boolean;
  /**
   * `'keep'` (default): punctuation marks are tokens of their own; `'drop'`: tokens with no
   * letter and no digit are removed.
   */
  punctuation?: PunctuationPolicy;
  /**
   * The regular expression that matches one token (its flags are kept, except that `g` is added and `y` removed). Default
   * `WordTokenizer.DEFAULT_PATTERN`.
   */
  pattern?: RegExp;
}

/** A token with no letter and no digit is punctuation (for `punctuation: 'drop'`). */
const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;
/** Punctuation that attaches to the token before it when detokenizing. */
const CLOSING = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '%', '…', '»', '”', '’']);
/** Punctuation that attaches to the token after it. */
const OPENING = new Set(['(', '[', '{', '«', '“', '‘', '¿', '¡']);
/** Punctuation that attaches on both sides (dashes as in "ago—never"). */
const JOINING = new Set(['—', '–']);

/**
 * Splits text into words and punctuation marks with a regular expression.
 *
 * The default pattern (`WordTokenizer.DEFAULT_PATTERN`) matches either a word — a run of Unicode
 * letters, combining marks and digits, which may contain single apostrophes (`'` or `’`) or
 * hyphens between such runs ("don't", "o’clock", "carpet-bag", "3-2") — or any other single
 * character that is not white space (each punctuation mark or symbol is its own token, so "..."
 * is three tokens). White space separates tokens and is never a token.
 *
 * `detokenize` is an approximate inverse (white space is not kept): tokens are joined by single
 * spaces, except no space before `. , ; : ! ? ) ] } % …` and closing quotes `» ” ’`, none after
 * `( [ {` and opening quotes `« “ ‘ ¿ ¡`, and none around dashes `— –`. For text whose spacing
 * follows these rules (e.g. "Call me Ishmael. Some years ago—never mind."),
 * `detokenize(tokenize(text)) === text`.
 */
export class WordTokenizer implements Tokenizer {
  /** The default token pattern: a word with inner `'`/`’`/`-`, or one non-space character. */
  static readonly DEFAULT_PATTERN: RegExp = /[\p{L}\p{M}\p{N}]+(?:['’-][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

  /** Whether text is lower-cased before splitting. */
  readonly lowercase: boolean;
  /** Whether punctuation tokens are kept or dropped. */
  readonly punctuation: PunctuationPolicy;
  /** The token pattern in use (always global). */
  readonly pattern: RegExp;

  /** A word tokenizer; see `WordTokenizerOptions` for the defaults. */
  constructor(options?: WordTokenizerOptions) {
    const o = optionsArg('options', options, ['lowercase', 'punctuation', 'pattern']);
    this.lowercase = boolArg('lowercase', o.lowercase, false);
    this.punctuation = choiceArg('punctuation', o.punctuation, 'keep', ['keep', 'drop']);
    if (o.pattern !== undefined && !(o.pattern instanceof RegExp)) throw new TypeError(`pattern: expected a RegExp, got ${describe(o.pattern)}`);
    const p = o.pattern ?? WordTokenizer.DEFAULT_PATTERN;
    const flags = p.flags.replace('y', '');
    this.pattern = new RegExp(p.source, flags.includes('g') ? flags : `${flags}g`);
  }

  /** The tokens of `text`: every non-empty match of the pattern, in order (punctuation dropped on request). */
  tokenize(text: string): string[] {
    const t = stringArg('text', text);
    const out: string[] = [];
    for (const m of (this.lowercase ? t.toLowerCase() : t).matchAll(this.pattern)) {
      const tok = m[0];
      if (tok.length === 0) continue;
      if (this.punctuation === 'drop' && !HAS_WORD_CHAR.test(tok)) continue;
      out.push(tok);
    }
    return out;
  }

  /** Tokens joined by single spaces, following the punctuation spacing rules in the class doc. */
  detokenize(tokens: readonly string[]): string {
    const toks = stringArrayArg('tokens', tokens);
    let out = '';
    let glueNext = true; // no space before the first token
    for (const tok of toks) {
      if (!glueNext && !CLOSING.has(tok) && !JOINING.has(tok)) out += ' ';
      out += tok;
      glueNext = OPENING.has(tok) || JOINING.has(tok);
    }
    return out;
  }
}

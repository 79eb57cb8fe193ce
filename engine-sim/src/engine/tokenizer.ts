// Deterministic, reversible toy tokenizer. Not a real BPE vocabulary, but it behaves like one
// where it matters for serving: the same text always gives the same ids, a shared text prefix
// gives a shared token prefix, English runs at roughly 3-4 characters per token, and ids decode
// back to the exact text.
//
// Rules: the text is cut into pieces: a word (letters/digits) with at most one leading space,
// one punctuation character with at most one leading space, or one other whitespace character.
// Inside a piece, runs of ASCII characters are cut into chunks of at most 4 characters; every
// non-ASCII code point is a token of its own (so CJK text is ~1 token per character).
// An ASCII chunk of length L is encoded as OFFSET[L] + sum(char_i * 128^i), a non-ASCII code
// point as NON_ASCII_BASE + codePoint. Ids are therefore large (up to ~2.7e8), but stable.

const PIECE = /( ?[\p{L}\p{N}]+| ?[^\s\p{L}\p{N}]|\s)/gu;
const OFFSET = [0, 0, 128, 128 + 16384, 128 + 16384 + 2097152];
const NON_ASCII_BASE = OFFSET[4] + 268435456;
const MAX_CHUNK = 4;

const NON_ASCII = /[\u0080-\uffff]/;
/** ASCII class of each code: 1 letter or digit, 2 whitespace (\s), 0 anything else. */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_CLASS[c] = /[\p{L}\p{N}]/u.test(ch) ? 1 : /\s/.test(ch) ? 2 : 0;
}

/** Turns text into token ids; same text -> same ids, and detokenize(tokenize(t)) === t. */
export function tokenize(text: string): number[] {
  return NON_ASCII.test(text) ? tokenizeByRegex(text) : tokenizeAscii(text);
}

/** The tokenizer's definition (any text): pieces from the PIECE regex, each encoded by encodePiece. */
export function tokenizeByRegex(text: string): number[] {
  const out: number[] = [];
  PIECE.lastIndex = 0;
  for (let m = PIECE.exec(text); m !== null; m = PIECE.exec(text)) {
    encodePiece(m[0], out);
  }
  return out;
}

// The same cut and encoding as tokenizeByRegex for pure-ASCII text (prompts, chat templates),
// as one scan over char codes: the Unicode-property regex was the costliest step of a request.
function tokenizeAscii(text: string): number[] {
  const out: number[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const start = i;
    const c = text.charCodeAt(i);
    const next = i + 1 < n ? ASCII_CLASS[text.charCodeAt(i + 1)] : -1;
    const cls = ASCII_CLASS[c];
    if (cls === 1 || (c === 32 && next === 1)) {
      // A word with at most one leading space.
      i = cls === 1 ? i + 1 : i + 2;
      while (i < n && ASCII_CLASS[text.charCodeAt(i)] === 1) i++;
    } else if (c === 32 && next === 0) {
      i += 2; // a space and one punctuation character
    } else {
      i += 1; // one punctuation or whitespace character
    }
    // Chunks of at most 4 characters, encoded as in encodePiece.
    for (let j = start; j < i; j += MAX_CHUNK) {
      const len = Math.min(MAX_CHUNK, i - j);
      let value = 0;
      let mul = 1;
      for (let k = 0; k < len; k++) {
        value += text.charCodeAt(j + k) * mul;
        mul *= 128;
      }
      out.push(OFFSET[len] + value);
    }
  }
  return out;
}

/** Counts the tokens of a text without keeping them. */
export function countTokens(text: string): number {
  return tokenize(text).length;
}

function encodePiece(piece: string, out: number[]): void {
  let value = 0;
  let len = 0;
  let mul = 1;
  for (const ch of piece) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 128) {
      value += cp * mul;
      mul *= 128;
      len++;
      if (len === MAX_CHUNK) {
        out.push(OFFSET[len] + value);
        value = 0;
        len = 0;
        mul = 1;
      }
    } else {
      if (len > 0) out.push(OFFSET[len] + value);
      value = 0;
      len = 0;
      mul = 1;
      out.push(NON_ASCII_BASE + cp);
    }
  }
  if (len > 0) out.push(OFFSET[len] + value);
}

/** Turns one token id back into its text; ids outside the encoding decode to ''. */
export function decodeToken(id: number): string {
  if (!Number.isInteger(id) || id < 0) return '';
  if (id >= NON_ASCII_BASE) {
    const cp = id - NON_ASCII_BASE;
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
  }
  let len = 4;
  while (len > 1 && id < OFFSET[len]) len--;
  let value = id - OFFSET[len];
  let s = '';
  for (let i = 0; i < len; i++) {
    s += String.fromCharCode(value % 128);
    value = Math.floor(value / 128);
  }
  return s;
}

/** Turns token ids back into text (exact inverse of tokenize). */
export function detokenize(ids: readonly number[]): string {
  let s = '';
  for (const id of ids) s += decodeToken(id);
  return s;
}

/** One chat message as the OpenAI API carries it (content as string or text parts). */
export interface ChatMessageLike {
  role: string;
  content?: unknown;
}

/** Renders chat messages into the prompt text the engine tokenizes (a fixed toy chat template). */
export function applyChatTemplate(messages: readonly ChatMessageLike[], addGenerationPrompt = true): string {
  let s = '<|begin_of_text|>';
  for (const m of messages) {
    s += `<|start_header_id|>${m.role}<|end_header_id|>\n\n${contentText(m.content)}<|eot_id|>`;
  }
  if (addGenerationPrompt) s += '<|start_header_id|>assistant<|end_header_id|>\n\n';
  return s;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: unknown) => (p !== null && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
        ? (p as { text: string }).text : ''))
      .join('');
  }
  return '';
}

// Token usage from a response, read cheaply from the last bytes of the body: the `usage` object
// is at the end of a non-streaming JSON body and in the final SSE chunk before `[DONE]`. The
// bytes are scanned as they are (no string decoding, no JSON.parse of any chunk).

/** Prompt and completion token counts a response reported. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

const PROMPT_KEY = Buffer.from('"prompt_tokens"', 'latin1');
const COMPLETION_KEY = Buffer.from('"completion_tokens"', 'latin1');

/** The non-negative integer after the last `key` (past spaces and ':') in `buf`, or -1 when there is none. */
function numberAfter(buf: Buffer, key: Buffer): number {
  const at = buf.lastIndexOf(key);
  if (at < 0) return -1;
  let i = at + key.length;
  while (i < buf.length && (buf[i] === 32 || buf[i] === 58)) i++; // spaces and ':'
  let n = 0;
  let digits = 0;
  for (; i < buf.length; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    digits++;
  }
  return digits > 0 ? n : -1;
}

function usageOf(prompt: number, completion: number): Usage | null {
  if (prompt < 0 && completion < 0) return null;
  return { promptTokens: prompt < 0 ? 0 : prompt, completionTokens: completion < 0 ? 0 : completion };
}

/** Usage found in the tail bytes of a response, or null when it carries none. */
export function parseUsageBytes(tail: Buffer): Usage | null {
  return usageOf(numberAfter(tail, PROMPT_KEY), numberAfter(tail, COMPLETION_KEY));
}

/** Usage found in the tail text of a response, or null when it carries none. */
export function parseUsageTail(tail: string): Usage | null {
  return parseUsageBytes(Buffer.from(tail, 'utf8'));
}

/** Keeps references to the last few chunks of a body (no copying on the hot path). */
export class TailKeeper {
  private a: Buffer | null = null;
  private b: Buffer | null = null;
  private c: Buffer | null = null;

  /** Remembers a chunk, forgetting the oldest of three. */
  push(chunk: Buffer): void {
    this.a = this.b;
    this.b = this.c;
    this.c = chunk;
  }

  /** The last bytes seen (up to three chunks, at most `max` bytes). */
  bytes(max = 8192): Buffer {
    const parts: Buffer[] = [];
    if (this.a) parts.push(this.a);
    if (this.b) parts.push(this.b);
    if (this.c) parts.push(this.c);
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    return all.length > max ? all.subarray(all.length - max) : all;
  }

  /** The last bytes seen, as text. */
  text(max = 8192): string {
    return this.bytes(max).toString('utf8');
  }

  /**
   * Usage in the last `max` bytes seen, as parseUsageBytes(bytes(max)) gives it, but without
   * joining chunks when the last chunk holds both counts (the usual case: the final SSE event,
   * or the end of a JSON body). A key found in the last chunk is the last one overall: an
   * occurrence that starts in an earlier chunk begins before it.
   */
  usage(max = 8192): Usage | null {
    const last = this.c;
    if (last === null) return null;
    const own = last.length > max ? last.subarray(last.length - max) : last;
    const prompt = numberAfter(own, PROMPT_KEY);
    const completion = numberAfter(own, COMPLETION_KEY);
    if ((prompt >= 0 && completion >= 0) || (this.b === null && this.a === null) || own !== last) return usageOf(prompt, completion);
    return parseUsageBytes(this.bytes(max));
  }
}

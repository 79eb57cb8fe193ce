// Token usage from a response, read cheaply from the last bytes of the body: the `usage` object
// is at the end of a non-streaming JSON body and in the final SSE chunk before `[DONE]`.

/** Prompt and completion token counts a response reported. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

function numberAfter(text: string, key: string): number {
  const at = text.lastIndexOf(key);
  if (at < 0) return -1;
  let i = at + key.length;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 58)) i++; // spaces and ':'
  let n = 0;
  let digits = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    digits++;
  }
  return digits > 0 ? n : -1;
}

/** Usage found in the tail text of a response, or null when it carries none. */
export function parseUsageTail(tail: string): Usage | null {
  const prompt = numberAfter(tail, '"prompt_tokens"');
  const completion = numberAfter(tail, '"completion_tokens"');
  if (prompt < 0 && completion < 0) return null;
  return { promptTokens: prompt < 0 ? 0 : prompt, completionTokens: completion < 0 ? 0 : completion };
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

  /** The last bytes seen (up to three chunks, at most `max` bytes), as text. */
  text(max = 8192): string {
    const parts: Buffer[] = [];
    if (this.a) parts.push(this.a);
    if (this.b) parts.push(this.b);
    if (this.c) parts.push(this.c);
    const all = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    return (all.length > max ? all.subarray(all.length - max) : all).toString('utf8');
  }
}

// Output tokens of a streamed response, counted from the stream itself, for routes with an
// output-token limit. The client may not have asked for usage (stream_options.include_usage),
// so the gateway asks the engine for it and this meter (1) counts content events as they pass
// (one token per event: vLLM and SGLang stream one detokenized step per event), (2) cuts the
// stream at the event where the budget runs out, and (3) removes the usage-only event the
// client did not ask for, keeping its exact counts for the final charge. Pure over bytes;
// only metered requests pay for it.
import { parseUsageBytes, type Usage } from './usage.js';

const EVENT_END = Buffer.from('\n\n', 'latin1');
const DATA = Buffer.from('data:', 'latin1');
const DONE = Buffer.from('[DONE]', 'latin1');
const EMPTY_CHOICES = Buffer.from('"choices":[]', 'latin1');
const USAGE = Buffer.from('"usage":{', 'latin1');
// Events whose delta carries no text (the role event, a bare finish event) are not tokens.
const EMPTY_CONTENT = [Buffer.from('"content":""', 'latin1'), Buffer.from('"text":""', 'latin1')];
const CONTENT = [Buffer.from('"content":"', 'latin1'), Buffer.from('"text":"', 'latin1')];

/** What one fed chunk becomes. */
export interface Metered {
  /** The bytes to send on (whole events only; a partial event waits for the rest). */
  out: Buffer;
  /** Content events in `out`. */
  tokens: number;
  /** The budget ran out at the last event of `out`: the stream must end here. */
  exhausted: boolean;
}

/** A per-request meter over the SSE bytes an engine streams. */
export class StreamMeter {
  private carry: Buffer | null = null;
  /** Content events counted so far. */
  counted = 0;
  /** The engine's own usage (from the usage event), once seen. */
  usage: Usage | null = null;

  /** `strip`: the client did not ask for the usage event, so it is removed from the stream. */
  constructor(readonly strip: boolean) {}

  /** Meters `chunk` with `budget` tokens left (Infinity: unlimited); never returns bytes past the event that used the last one. */
  feed(chunk: Buffer, budget: number): Metered {
    const buf = this.carry === null ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = null;
    const parts: Buffer[] = [];
    let tokens = 0;
    let start = 0;
    let kept = 0;
    let exhausted = false;
    for (;;) {
      const end = buf.indexOf(EVENT_END, start);
      if (end < 0) break;
      const evStart = start;
      const ev = buf.subarray(evStart, end + 2);
      start = end + 2;
      const kind = classify(ev);
      if (kind === 'usage') {
        this.usage = parseUsageBytes(ev) ?? this.usage;
        if (this.strip) {
          if (kept < evStart) parts.push(buf.subarray(kept, evStart));
          kept = start;
        }
      } else if (kind === 'token') {
        if (tokens >= budget) {
          // Nothing of this event goes out: the events before it used the budget up.
          exhausted = true;
          start = evStart;
          break;
        }
        tokens++;
        if (tokens >= budget) {
          exhausted = true;
          break;
        }
      }
    }
    if (kept < start) parts.push(buf.subarray(kept, start));
    if (!exhausted && start < buf.length) this.carry = Buffer.from(buf.subarray(start));
    this.counted += tokens;
    const out = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    return { out, tokens, exhausted };
  }

  /** Bytes still held back (an event without its blank line when the body ended). */
  rest(): Buffer {
    const r = this.carry ?? Buffer.alloc(0);
    this.carry = null;
    return r;
  }
}

function has(ev: Buffer, needle: Buffer): boolean {
  return ev.indexOf(needle) >= 0;
}

/** `usage` for the usage-only event, `token` for an event with text, `other` for the rest. */
export function classify(ev: Buffer): 'usage' | 'token' | 'other' {
  if (!has(ev, DATA) || has(ev, DONE)) return 'other';
  if (has(ev, EMPTY_CHOICES) && has(ev, USAGE)) return 'usage';
  if (EMPTY_CONTENT.some((n) => has(ev, n))) return 'other';
  return CONTENT.some((n) => has(ev, n)) ? 'token' : 'other';
}

/** The SSE events that end a stream cut at its output-token budget: an OpenAI-shaped error, then `[DONE]`. */
export function budgetExhaustedEvents(model: string): Buffer {
  const error = { error: { message: `output token rate limit of model "${model}" reached: the response was cut here`, type: 'rate_limit_exceeded', code: 'output_tokens_exhausted', param: null } };
  return Buffer.from(`data: ${JSON.stringify(error)}\n\ndata: [DONE]\n\n`);
}

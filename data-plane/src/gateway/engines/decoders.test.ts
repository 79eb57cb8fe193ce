// The native stream decoders take frames split anywhere across chunks; the writer's shapes.
import { expect } from 'chai';
import { OpenAiWriter, usageOf } from './openai-out.js';
import { torchserveAdapter } from './torchserve.js';
import { tritonAdapter } from './triton.js';
import type { NativeEvent, StreamDecoder } from './types.js';

function feedSplit(d: StreamDecoder, text: string, at: number[]): NativeEvent[] {
  const out: NativeEvent[] = [];
  let prev = 0;
  for (const i of [...at, text.length]) {
    out.push(...d.feed(text.slice(prev, i)));
    prev = i;
  }
  return [...out, ...d.end()];
}

describe('native stream decoders', () => {
  const triton = 'data: {"text_output":"He","num_output_tokens":1}\n\ndata: {"text_output":"llo","num_output_tokens":1,"finish_reason":"length","num_input_tokens":3}\n\n';
  const ts = '{"text":"He"}\n{"text":"llo"}\n{"text":"","finish_reason":"stop","prompt_tokens":3,"completion_tokens":2}\n';
  const cases: { name: string; decoder: () => StreamDecoder; text: string; want: NativeEvent[] }[] = [
    {
      name: 'Triton SSE',
      decoder: () => tritonAdapter.streamDecoder(),
      text: triton,
      want: [{ text: 'He', completionTokens: 1 }, { text: 'llo', completionTokens: 1, finishReason: 'length', promptTokens: 3 }],
    },
    { name: 'Triton error event', decoder: () => tritonAdapter.streamDecoder(), text: 'data: {"error":"boom"}\n\n', want: [{ text: '', error: 'boom' }] },
    {
      name: 'TorchServe JSON lines (the last line carries totals)',
      decoder: () => torchserveAdapter.streamDecoder(),
      text: ts,
      want: [{ text: 'He' }, { text: 'llo' }, { text: '', finishReason: 'stop', promptTokens: 3, totalCompletionTokens: 2 }],
    },
    { name: 'TorchServe error line', decoder: () => torchserveAdapter.streamDecoder(), text: '{"code":500,"type":"InternalServerException","message":"boom"}', want: [{ text: '', error: 'boom' }] },
  ];
  for (const tc of cases) {
    it(`${tc.name}: whole, and split at every byte`, () => {
      expect(feedSplit(tc.decoder(), tc.text, [])).to.deep.equal(tc.want);
      const every = Array.from({ length: tc.text.length - 1 }, (_, i) => i + 1);
      expect(feedSplit(tc.decoder(), tc.text, every)).to.deep.equal(tc.want);
    });
  }

  it('writer: chat stream role, content, finish, usage, [DONE]', () => {
    const w = new OpenAiWriter('chat', 'chatcmpl-1', 'm', 7, true);
    const text = w.delta('Hi') + w.finish('stop', usageOf(3, 1));
    const events = text.split('\n\n').filter((e) => e !== '').map((e) => e.slice(6));
    expect(events[events.length - 1]).to.equal('[DONE]');
    const json = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: Array<{ delta?: Record<string, unknown>; finish_reason: string | null }>; usage?: unknown });
    expect(json.map((j) => j.choices[0]?.delta)).to.deep.equal([{ role: 'assistant', content: '' }, { content: 'Hi' }, {}, undefined]);
    expect(json[2].choices[0].finish_reason).to.equal('stop');
    expect(json[3].usage).to.deep.equal({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
  });
});

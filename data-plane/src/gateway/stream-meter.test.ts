import { expect } from 'chai';
import { budgetExhaustedEvents, classify, StreamMeter } from './stream-meter.js';

const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const role = ev({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], usage: null });
const tok = (t: string, finish: string | null = null) => ev({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: t }, finish_reason: finish }], usage: null });
const usage = ev({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } });
const done = 'data: [DONE]\n\n';
const stream = role + tok('a') + tok('b') + tok('c', 'length') + usage + done;

describe('gateway/stream-meter', () => {
  it('classifies events: text is a token, the role event and [DONE] are not, the choices-less event is usage', () => {
    expect(classify(Buffer.from(role))).to.equal('other');
    expect(classify(Buffer.from(tok('x')))).to.equal('token');
    expect(classify(Buffer.from(ev({ choices: [{ text: 'x' }] })))).to.equal('token');
    expect(classify(Buffer.from(usage))).to.equal('usage');
    expect(classify(Buffer.from(done))).to.equal('other');
  });

  it('counts tokens and removes the usage event the client did not ask for, keeping its counts', () => {
    const m = new StreamMeter(true);
    const r = m.feed(Buffer.from(stream), Infinity);
    expect(r.out.toString()).to.equal(role + tok('a') + tok('b') + tok('c', 'length') + done);
    expect(r).to.include({ tokens: 3, exhausted: false });
    expect(m.usage).to.deep.equal({ promptTokens: 7, completionTokens: 3 });
  });

  it('keeps the usage event when the client asked for it', () => {
    const m = new StreamMeter(false);
    expect(m.feed(Buffer.from(stream), Infinity).out.toString()).to.equal(stream);
    expect(m.usage?.completionTokens).to.equal(3);
  });

  it('holds a partial event back until its end arrives, whatever the split', () => {
    for (let cut = 1; cut < stream.length; cut += 7) {
      const m = new StreamMeter(true);
      const a = m.feed(Buffer.from(stream.slice(0, cut)), Infinity);
      const b = m.feed(Buffer.from(stream.slice(cut)), Infinity);
      expect(a.out.toString() + b.out.toString(), `cut at ${cut}`).to.equal(role + tok('a') + tok('b') + tok('c', 'length') + done);
      expect(m.counted).to.equal(3);
      expect(m.rest().length).to.equal(0);
    }
  });

  it('cuts at the event that uses the last token of the budget; nothing after it goes out', () => {
    const m = new StreamMeter(true);
    const r = m.feed(Buffer.from(stream), 2);
    expect(r.out.toString()).to.equal(role + tok('a') + tok('b'));
    expect(r).to.include({ tokens: 2, exhausted: true });
    const none = new StreamMeter(true).feed(Buffer.from(stream), 0);
    expect(none.out.toString()).to.equal(role);
    expect(none).to.include({ tokens: 0, exhausted: true });
  });

  it('the closing events are an OpenAI-shaped error and [DONE]', () => {
    const text = budgetExhaustedEvents('m').toString();
    const [first, second] = text.split('\n\n');
    expect(JSON.parse(first.slice('data: '.length)).error).to.include({ code: 'output_tokens_exhausted', type: 'rate_limit_exceeded' });
    expect(second).to.equal('data: [DONE]');
  });
});

import { expect } from 'chai';
import { fullResponse, streamChunk, usage, usageChunk, type ResponseHead, type Usage } from './shapes.js';
import { ResponseTemplates, usageJson, usageObjectJson } from './templates.js';

// The templates must give the exact bytes of the object builders, for awkward ids, models and texts too.
const HEADS: ResponseHead[] = [
  { id: 'chatcmpl-0123abcd', created: 1764250000, model: 'meta-llama/Llama-3.1-8B-Instruct' },
  { id: 'cmpl-"quoted"\\back\nline\u2028', created: 0, model: 'ünïcødé 日本 \ud800' },
];
const TEXTS = ['', ' the', '.', 'a "b" \\ c\n\t\u0001', '日本語 🙂'];
const REASONS: Array<string | null> = [null, 'length', 'stop', 'abort'];
const USAGES: Array<Usage | null | undefined> = [undefined, null, usage(12, 3), usage(40, 16, 32)];
const usageArg = (u: Usage | null | undefined): string | null | undefined => (u === undefined || u === null ? u : usageObjectJson(u));

describe('sim pre-serialised response templates', () => {
  for (const kind of ['chat', 'completion'] as const) {
    for (const head of HEADS) {
      const t = new ResponseTemplates(kind, head);
      it(`${kind} stream chunks equal shapes.streamChunk (id ${JSON.stringify(head.id).slice(0, 12)})`, () => {
        for (const text of TEXTS) {
          for (const reason of REASONS) {
            for (const u of USAGES) {
              expect(t.chunk(JSON.stringify(text), reason, usageArg(u))).to.equal(streamChunk(kind, head, text, reason, u));
            }
          }
        }
        if (kind === 'chat') for (const u of USAGES) expect(t.roleChunk(usageArg(u))).to.equal(streamChunk(kind, head, '', null, u, true));
      });

      it(`${kind} usage chunk and full body equal the object builders (id ${JSON.stringify(head.id).slice(0, 12)})`, () => {
        for (const u of [usage(12, 3), usage(40, 16, 32), usage(1, 0, 0)]) {
          expect(t.usageChunk(usageObjectJson(u))).to.equal(usageChunk(kind, head, u));
          for (const text of TEXTS) {
            for (const reason of ['length', 'stop']) {
              for (const kv of [null, { do_remote_prefill: true, remote_block_ids: [1, 2], remote_host: '127.0.0.1', tp_size: 1 }]) {
                expect(t.full(text, reason, usageObjectJson(u), JSON.stringify(kv))).to.equal(JSON.stringify(fullResponse(kind, head, text, reason, u, kv)));
              }
            }
          }
        }
      });
    }
  }

  it('usageJson equals JSON.stringify(usage(...))', () => {
    for (const [p, c, cached] of [[1, 1, undefined], [100, 0, 0], [7, 9, 5]] as const) {
      expect(usageJson(p, c, cached)).to.equal(JSON.stringify(usage(p, c, cached)));
    }
  });
});

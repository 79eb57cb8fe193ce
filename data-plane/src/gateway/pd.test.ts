import { expect } from 'chai';
import type { RouteServer } from '@matrixinfer/events';
import { GatewayError } from './errors.js';
import { bootstrapPortOf, bootstrapRoom, decodeBody, kvTransferParamsOf, pdProtocol, prefillBody, sglangBody, SGLANG_DEFAULT_BOOTSTRAP_PORT } from './pd.js';

const srv = (extra: Partial<RouteServer>): RouteServer => ({ name: 's', namespace: 'default', engine: 'vLLM', endpoints: [], ...extra });
const parse = (b: Buffer): Record<string, unknown> => JSON.parse(b.toString()) as Record<string, unknown>;

describe('pd: protocol of a ModelServer', () => {
  const cases: Array<{ name: string; server: RouteServer; want: string }> = [
    { name: 'vLLM without a connector: sequential (http)', server: srv({}), want: 'sequential' },
    { name: 'vLLM http', server: srv({ kvConnector: { type: 'http' } }), want: 'sequential' },
    { name: 'vLLM lmcache', server: srv({ kvConnector: { type: 'lmcache' } }), want: 'sequential' },
    { name: 'vLLM nixl', server: srv({ kvConnector: { type: 'nixl' } }), want: 'nixl' },
    { name: 'SGLang, whatever the connector', server: srv({ engine: 'SGLang', kvConnector: { type: 'nixl' } }), want: 'sglang' },
  ];
  for (const tc of cases) it(tc.name, () => expect(pdProtocol(tc.server)).to.equal(tc.want));

  it('mooncake is refused with a typed 501', () => {
    const e = pdProtocol(srv({ kvConnector: { type: 'mooncake' } }));
    expect(e).to.be.instanceOf(GatewayError);
    expect((e as GatewayError).code).to.equal('MI_ERR_PD_UNSUPPORTED');
    expect((e as GatewayError).status).to.equal(501);
  });
});

describe('pd: leg bodies', () => {
  const client = { model: 'alias', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true }, max_tokens: 50, min_tokens: 5, temperature: 0 };

  it('nixl prefill: one token, not streamed, do_remote_decode, no stream_options/min_tokens, model rewritten', () => {
    const b = parse(prefillBody(client, 'real', 'nixl'));
    expect(b).to.deep.include({ model: 'real', stream: false, max_tokens: 1, temperature: 0 });
    expect(b).to.not.have.any.keys('stream_options', 'min_tokens', 'max_completion_tokens');
    expect(b.kv_transfer_params).to.deep.equal({ do_remote_decode: true, do_remote_prefill: false, remote_engine_id: null, remote_block_ids: null, remote_host: null, remote_port: null });
    expect(client.stream, 'the client body is not mutated').to.equal(true);
  });

  it('sequential prefill: one token, no kv_transfer_params; max_completion_tokens capped when present', () => {
    const b = parse(prefillBody({ ...client, max_completion_tokens: 9 }, 'real', 'sequential'));
    expect(b).to.deep.include({ stream: false, max_tokens: 1, max_completion_tokens: 1 });
    expect(b).to.not.have.property('kv_transfer_params');
  });

  it('decode: the client body (stream kept) with the prefill kv_transfer_params, or unchanged', () => {
    const kv = { do_remote_prefill: true, remote_block_ids: [1, 2] };
    expect(parse(decodeBody(client, 'real', kv))).to.deep.equal({ ...client, model: 'real', kv_transfer_params: kv });
    expect(parse(decodeBody(client, 'real', undefined))).to.deep.equal({ ...client, model: 'real' });
  });

  it('kv_transfer_params of a prefill answer: the object, or null', () => {
    expect(kvTransferParamsOf(Buffer.from('{"kv_transfer_params":{"a":1}}'))).to.deep.equal({ a: 1 });
    for (const bad of ['{"kv_transfer_params":null}', '{"kv_transfer_params":[1]}', '{}', 'not json']) {
      expect(kvTransferParamsOf(Buffer.from(bad)), bad).to.equal(null);
    }
  });

  it('sglang: the same body for both legs with bootstrap host, port and an exact integer room', () => {
    const room = bootstrapRoom(0.999999);
    expect(Number.isSafeInteger(room)).to.equal(true);
    const b = parse(sglangBody(client, 'real', { host: '10.0.0.1', port: 8998, room }));
    expect(b).to.deep.include({ model: 'real', stream: true, bootstrap_host: '10.0.0.1', bootstrap_port: 8998, bootstrap_room: room });
  });

  it('bootstrap port from /get_server_info, else the SGLang default', () => {
    expect(bootstrapPortOf({ disaggregation_bootstrap_port: 41000 })).to.equal(41000);
    for (const bad of [null, {}, { disaggregation_bootstrap_port: 'x' }, { disaggregation_bootstrap_port: 0 }, { disaggregation_bootstrap_port: 70000 }]) {
      expect(bootstrapPortOf(bad)).to.equal(SGLANG_DEFAULT_BOOTSTRAP_PORT);
    }
  });
});

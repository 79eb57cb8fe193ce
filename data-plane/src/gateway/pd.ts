// Prefill/decode disaggregated serving: which protocol a ModelServer's PD endpoints speak, and
// the request bodies of each leg (../shared/reference/engines.md, "PD disaggregation protocols").
//   nixl (vLLM NixlConnector): prefill first (max_tokens 1, not streamed, kv_transfer_params
//        do_remote_decode), its response's kv_transfer_params go into the decode body.
//   sequential (vLLM with the http or LMCache connector): prefill first with max_tokens 1, its
//        answer only has to succeed; decode gets the client's body unchanged (the engines share
//        KV through the connector).
//   sglang (any SGLang server): prefill and decode at once, both with bootstrap_host/port/room;
//        the decode engine fetches KV from the prefill's bootstrap server; the client gets the
//        decode answer.
// Mooncake needs the prefill's bootstrap query endpoint, which is not wired yet: answered 501.
import type { RouteServer } from '@matrixinfer/events';
import { GatewayError } from './errors.js';

export type PdProtocol = 'nixl' | 'sequential' | 'sglang';

/** The PD protocol of a ModelServer, or the error to answer when the gateway cannot speak it. */
export function pdProtocol(server: RouteServer): PdProtocol | GatewayError {
  if (server.engine === 'SGLang') return 'sglang';
  const type = server.kvConnector?.type ?? 'http';
  switch (type) {
    case 'nixl':
      return 'nixl';
    case 'http':
    case 'lmcache':
      return 'sequential';
    case 'mooncake':
      return new GatewayError('MI_ERR_PD_UNSUPPORTED', 501, 'not_implemented_error',
        `ModelServer ${server.name}: prefill/decode over the mooncake KV connector is not supported by the gateway (use nixl, lmcache or http)`);
  }
}

const NIXL_PREFILL_PARAMS = {
  do_remote_decode: true,
  do_remote_prefill: false,
  remote_engine_id: null,
  remote_block_ids: null,
  remote_host: null,
  remote_port: null,
};

/** The prefill leg of nixl/sequential: one token, not streamed, nothing that only decode needs. */
export function prefillBody(json: Record<string, unknown>, upstreamModel: string, protocol: 'nixl' | 'sequential'): Buffer {
  const b: Record<string, unknown> = { ...json, model: upstreamModel, stream: false, max_tokens: 1 };
  if ('max_completion_tokens' in json) b.max_completion_tokens = 1;
  delete b.stream_options;
  delete b.min_tokens;
  if (protocol === 'nixl') b.kv_transfer_params = NIXL_PREFILL_PARAMS;
  return Buffer.from(JSON.stringify(b));
}

/** The decode leg of nixl/sequential: the client's body, with the prefill's kv_transfer_params for nixl. */
export function decodeBody(json: Record<string, unknown>, upstreamModel: string, kvTransferParams: unknown): Buffer {
  const b: Record<string, unknown> = { ...json, model: upstreamModel };
  if (kvTransferParams !== undefined) b.kv_transfer_params = kvTransferParams;
  return Buffer.from(JSON.stringify(b));
}

/**
 * The kv_transfer_params of a nixl prefill answer, or null when the answer has none (an engine
 * without the connector). Treated as opaque: passed to the decode engine as received.
 */
export function kvTransferParamsOf(prefillAnswer: Buffer): Record<string, unknown> | null {
  try {
    const v = JSON.parse(prefillAnswer.toString('utf8')) as { kv_transfer_params?: unknown };
    const p = v?.kv_transfer_params;
    return p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** SGLang bootstrap fields; the room is a random 63-bit integer shared by both legs. */
export interface Bootstrap {
  host: string;
  port: number;
  room: number;
}

/** A bootstrap room from a random number in [0,1): an integer that JSON keeps exact (< 2^53). */
export function bootstrapRoom(random: number): number {
  return Math.floor(random * Number.MAX_SAFE_INTEGER);
}

/** The body both SGLang legs get: the client's body plus the bootstrap fields. */
export function sglangBody(json: Record<string, unknown>, upstreamModel: string, b: Bootstrap): Buffer {
  return Buffer.from(JSON.stringify({ ...json, model: upstreamModel, bootstrap_host: b.host, bootstrap_port: b.port, bootstrap_room: b.room }));
}

/** SGLang's default disaggregation bootstrap port, used when the server does not report one. */
export const SGLANG_DEFAULT_BOOTSTRAP_PORT = 8998;

/** The bootstrap port a SGLang /get_server_info answer reports, else the default. */
export function bootstrapPortOf(serverInfo: unknown): number {
  const p = (serverInfo as { disaggregation_bootstrap_port?: unknown } | null)?.disaggregation_bootstrap_port;
  return typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536 ? p : SGLANG_DEFAULT_BOOTSTRAP_PORT;
}

// Checks that a change to the simulator's hot path changed nothing a client can see: sends the
// same requests (fixed x-request-id) to this tree's simulator and to a baseline tree's (e.g. the
// previous commit, exported), one request at a time, and compares status, content-type and body
// bytes, then the /metrics text. Only `created` (wall-clock seconds), the ports, the
// lora_requests_info timestamps and SGLang's gen_throughput (a wall-clock window) are
// normalised. With zero modelled latency every duration metric is exactly 0 in model time, so
// the rest of /metrics must match byte for byte.
// Usage (from engine-sim/): node --import tsx bench/sim-faithfulness.ts --baseline DIR
//   (DIR holds the baseline's bin/mi-engine-sim.js: another checkout's engine-sim folder, or its
//   data-plane folder for a commit from before the simulator had its own workspace)
import { join } from 'node:path';
import { argValue, startSimChild, ZERO_LATENCY_ARGS, type SimChild } from './sim-bench-util.js';

interface Case {
  name: string;
  path: string;
  body: unknown;
  headers?: Record<string, string>;
}

const BASELINE = argValue('baseline', '');
if (!BASELINE) throw new Error('usage: sim-faithfulness.ts --baseline DIR (the engine-sim folder of another checkout)');

const chat = (content: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: 'm', messages: [{ role: 'user', content }], ...extra });
const VLLM_CASES: Case[] = [
  { name: 'chat json', path: '/v1/chat/completions', body: chat('Say hello to the benchmark, please.', { max_tokens: 16 }) },
  { name: 'chat json natural stop', path: '/v1/chat/completions', body: chat('natural stop') },
  { name: 'chat json max_completion_tokens', path: '/v1/chat/completions', body: chat('limit', { max_completion_tokens: 3 }) },
  { name: 'chat stream', path: '/v1/chat/completions', body: chat('stream please', { max_tokens: 16, stream: true }) },
  { name: 'chat stream include_usage', path: '/v1/chat/completions', body: chat('Say hello', { max_tokens: 16, stream: true, stream_options: { include_usage: true } }) },
  { name: 'chat stream continuous usage', path: '/v1/chat/completions', body: chat('usage', { max_tokens: 5, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } }) },
  { name: 'chat stream natural stop', path: '/v1/chat/completions', body: chat('natural stop stream', { stream: true, max_tokens: 40 }) },
  { name: 'chat stream one token', path: '/v1/chat/completions', body: chat('one', { stream: true, max_tokens: 1, stream_options: { include_usage: true } }) },
  { name: 'chat unicode and parts', path: '/v1/chat/completions', body: { model: 'm', messages: [{ role: 'system', content: 'Ünïcødé 日本語 "quotes" \\ back' }, { role: 'user', content: [{ type: 'text', text: 'part one' }, { type: 'text', text: ' two\n' }] }], max_tokens: 7 } },
  { name: 'completion json', path: '/v1/completions', body: { model: 'm', prompt: 'benchmark prompt with a few words in it', max_tokens: 1 } },
  { name: 'completion json default max', path: '/v1/completions', body: { model: 'm', prompt: ['one string in an array'] } },
  { name: 'completion token ids', path: '/v1/completions', body: { model: 'm', prompt: [1, 2, 3, 300, 40000], max_tokens: 4, ignore_eos: true } },
  { name: 'completion stream', path: '/v1/completions', body: { model: 'm', prompt: 'stream it', max_tokens: 64, stream: true, ignore_eos: true } },
  { name: 'completion stream include_usage', path: '/v1/completions', body: { model: 'm', prompt: 'stream it', max_tokens: 9, stream: true, stream_options: { include_usage: true } } },
  { name: 'completion stream continuous usage', path: '/v1/completions', body: { model: 'm', prompt: 'cont', max_tokens: 3, stream: true, stream_options: { include_usage: true, continuous_usage_stats: true } } },
  { name: 'same prompt again (prefix cache)', path: '/v1/chat/completions', body: chat('Say hello to the benchmark, please.', { max_tokens: 16 }) },
  { name: 'long prompt', path: '/v1/completions', body: { model: 'm', prompt: 'lorem ipsum dolor sit amet '.repeat(80), max_tokens: 20 } },
  { name: 'PD prefill leg', path: '/v1/completions', body: { model: 'm', prompt: 'pd prompt here', max_tokens: 1, kv_transfer_params: { do_remote_decode: true } } },
  { name: 'x-sim-fail 429', path: '/v1/chat/completions', body: chat('x'), headers: { 'x-sim-fail': '429' } },
  { name: 'stall header', path: '/v1/chat/completions', body: chat('stall', { max_tokens: 4, stream: true }), headers: { 'x-sim-stall-ms': '1', 'x-sim-first-token-stall-ms': '1' } },
  { name: 'unknown model', path: '/v1/chat/completions', body: { model: 'nope', messages: [{ role: 'user', content: 'x' }] } },
  { name: 'bad json', path: '/v1/chat/completions', body: '{not json' },
  { name: 'empty messages', path: '/v1/chat/completions', body: { model: 'm', messages: [] } },
  { name: 'n=2', path: '/v1/completions', body: { model: 'm', prompt: 'x', n: 2 } },
  { name: 'too long', path: '/v1/completions', body: { model: 'm', prompt: 'x', max_tokens: 100000 } },
  { name: 'stream_options without stream', path: '/v1/completions', body: { model: 'm', prompt: 'x', stream_options: { include_usage: true } } },
  { name: 'tokenize', path: '/tokenize', body: { prompt: 'Hello, world! Ünï 日本' } },
  { name: 'detokenize', path: '/detokenize', body: { tokens: [1, 200, 30000, 268454016 + 26085] } },
];
// An abort ends a request at the wall-clock moment it happens, so these runs' duration metrics differ.
const ABORT_CASES: Case[] = [
  { name: 'fail after tokens (stream)', path: '/v1/chat/completions', body: chat('fail', { max_tokens: 8, stream: true }), headers: { 'x-sim-fail-after-tokens': '3' } },
  { name: 'fail after tokens (json)', path: '/v1/chat/completions', body: chat('fail', { max_tokens: 8 }), headers: { 'x-sim-fail-after-tokens': '3' } },
  { name: 'fail after tokens (completion stream, usage)', path: '/v1/completions', body: { model: 'm', prompt: 'f', max_tokens: 8, stream: true, stream_options: { include_usage: true } }, headers: { 'x-sim-fail-after-tokens': '1' } },
];
const SGLANG_CASES: Case[] = [
  { name: 'sglang generate', path: '/generate', body: { text: 'native generate', sampling_params: { max_new_tokens: 6 } } },
  { name: 'sglang generate stream', path: '/generate', body: { text: 'native generate', sampling_params: { max_new_tokens: 6, ignore_eos: true }, stream: true } },
  { name: 'sglang generate natural stop', path: '/generate', body: { input_ids: [5, 6, 7, 8], sampling_params: { max_new_tokens: 60 } } },
  { name: 'sglang chat json', path: '/v1/chat/completions', body: chat('hello sglang', { max_tokens: 5 }) },
  { name: 'sglang chat stream', path: '/v1/chat/completions', body: chat('hello sglang', { max_tokens: 5, stream: true, stream_options: { include_usage: true } }) },
  { name: 'sglang bad body', path: '/generate', body: 'nope' },
];

function normalise(text: string, ports: number[]): string {
  let t = text.replace(/"created":\d+/g, '"created":0');
  for (const p of ports) t = t.split(String(p)).join('PORT');
  // lora_requests_info carries a unix time; gen_throughput counts tokens of the last 10 model seconds (10 real ms here).
  return t.replace(/((?:vllm:lora_requests_info|sglang:gen_throughput)\{[^}]*\}) \S+/g, '$1 T');
}

async function send(url: string, c: Case, i: number): Promise<string> {
  const res = await fetch(`${url}${c.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': `req-${i}`, ...c.headers },
    body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
  });
  return `${res.status} ${res.headers.get('content-type')} ${res.headers.get('transfer-encoding') ?? 'length'}\n${await res.text()}`;
}

let failures = 0;
for (const [engine, cases, extra, compareMetrics] of [
  ['vllm', VLLM_CASES, ['--enable-prompt-tokens-details'], true],
  ['vllm', VLLM_CASES.slice(0, 8), ['--legacy-metric-names'], true],
  ['vllm', ABORT_CASES, [], false],
  ['sglang', SGLANG_CASES, [], true],
] as const) {
  const args = [...ZERO_LATENCY_ARGS, '--engine', engine, '--model', 'm', '--seed', '7', ...extra];
  const sims: SimChild[] = [];
  try {
    sims.push(await startSimChild(args));
    sims.push(await startSimChild(args, [], join(BASELINE, 'bin/mi-engine-sim.js')));
    const ports = sims.map((s) => Number(new URL(s.url).port));
    for (let i = 0; i < cases.length; i++) {
      const [a, b] = await Promise.all(sims.map((s) => send(s.url, cases[i], i)));
      if (normalise(a, ports) !== normalise(b, ports)) {
        failures++;
        console.log(`DIFF ${engine} ${cases[i].name}\n--- this tree\n${a}\n--- baseline\n${b}`);
      }
    }
    const [ma, mb] = await Promise.all(sims.map(async (s) => (await fetch(`${s.url}/metrics`)).text()));
    if (compareMetrics && normalise(ma, ports) !== normalise(mb, ports)) {
      failures++;
      const la = normalise(ma, ports).split('\n');
      const lb = normalise(mb, ports).split('\n');
      for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) console.log(`DIFF ${engine} /metrics line ${i}: ${la[i]} | baseline: ${lb[i]}`);
    }
    console.log(`${engine} ${extra.join(' ')}: ${cases.length} requests${compareMetrics ? ' and /metrics' : ''} compared`);
  } finally {
    for (const s of sims) await s.stop();
  }
}
console.log(failures === 0 ? 'no differences' : `${failures} difference(s)`);
process.exitCode = failures === 0 ? 0 : 1;

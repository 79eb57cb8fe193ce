// What a local tokenizer costs the gateway (--tokenizer): load time, and per 860-character prompt
// the latency of a count through the worker thread and the CPU it costs (whole process: both threads).
// Run: cd data-plane && node --import tsx bench/tokenizer.ts
import winston from 'winston';
import { startTokenCounter } from '../src/tokenizer/counter.js';
import { parseTokenizerSpecs } from '../src/tokenizer/specs.js';
import { qwenTokenizerDir } from '../src/tokenizer/testing.js';
const c = startTokenCounter({ specs: parseTokenizerSpecs([`q=${qwenTokenizerDir()}`]), logger: winston.createLogger({ transports: [new winston.transports.Console({ silent: true })] }), timeoutMs: 10000, maxPending: 10000 });
const t0 = Date.now(); while (!c.has('q')) await new Promise((r) => setTimeout(r, 10)); console.log('load ms', Date.now() - t0);
const text = 'The platform routes every OpenAI-compatible request to the replica that serves it fastest. '.repeat(10).slice(0, 860);
for (let i = 0; i < 50; i++) await c.count('q', text);
const lat: number[] = []; const cpu0 = process.cpuUsage(); const s = performance.now();
for (let i = 0; i < 500; i++) { const a = performance.now(); await c.count('q', text); lat.push(performance.now() - a); }
const el = performance.now() - s; lat.sort((a, b) => a - b);
console.log(JSON.stringify({ n: 500, meanMs: +(el / 500).toFixed(3), p50: +lat[250].toFixed(3), p99: +lat[495].toFixed(3), processCpuUsPerCount: +((process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 500).toFixed(0) }));
await c.close();

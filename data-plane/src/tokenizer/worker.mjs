// Worker thread of the gateway's token counter: loads each model's tokenizer (seconds for a large
// vocabulary) and counts prompt tokens off the gateway's event loop. Plain JavaScript so that
// node:worker_threads runs it without a TypeScript loader.
//
// In:  workerData.specs = [{ model, tokenizerJson, tokenizerConfig }]; messages { id, model, text }.
// Out: { type: 'loaded', model, ms } | { type: 'load-failed', model, error } once per model, and
//      { id, count } | { id, error } per message.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { TokenizerLoader } from '@lenml/tokenizers';

const tokenizers = new Map();

parentPort.on('message', (m) => {
  const t = tokenizers.get(m.model);
  if (!t) return parentPort.postMessage({ id: m.id, error: `no tokenizer loaded for ${m.model}` });
  try {
    // Content tokens only: the chat template's own tokens come with the engine's usage.
    parentPort.postMessage({ id: m.id, count: t.encode(m.text, { add_special_tokens: false }).length });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.message ? err.message : err) });
  }
});

// Loaded one by one after the handler is in place; requests meanwhile get an error (the
// gateway then falls back to its estimate).
setImmediate(() => {
  for (const spec of workerData.specs) {
    const started = Date.now();
    try {
      const tokenizer = TokenizerLoader.fromPreTrained({
        tokenizerJSON: JSON.parse(readFileSync(spec.tokenizerJson, 'utf8')),
        tokenizerConfig: JSON.parse(readFileSync(spec.tokenizerConfig, 'utf8')),
      });
      tokenizers.set(spec.model, tokenizer);
      parentPort.postMessage({ type: 'loaded', model: spec.model, ms: Date.now() - started });
    } catch (err) {
      parentPort.postMessage({ type: 'load-failed', model: spec.model, error: String(err && err.message ? err.message : err) });
    }
  }
});

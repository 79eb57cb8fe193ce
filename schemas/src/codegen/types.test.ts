import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { renderTypes } from './types.js';

describe('generated types', () => {
  it('src/generated/types.ts is current (run `npm run generate -w schemas` when this fails)', async function () {
    this.timeout(30_000);
    const committed = readFileSync(new URL('../generated/types.ts', import.meta.url), 'utf8');
    expect(committed === (await renderTypes()), 'schemas/src/generated/types.ts is stale: run `npm run generate -w schemas`').to.equal(true);
  });
});

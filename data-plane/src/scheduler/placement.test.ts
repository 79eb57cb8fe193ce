import { expect } from 'chai';
import { PlacementDecodeError } from './errors.js';
import { decodePlacement, encodePlacement } from './placement.js';

describe('placement messages', () => {
  it('round-trips hashes exactly, including the 64-bit extremes', () => {
    const hashes = [0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n, 0x0123456789abcdefn];
    const msg = encodePlacement('gw-a', { endpointId: 'ep-1', blockHashes: hashes, model: 'llama', capacityBlocks: 9000 });
    const back = decodePlacement(new TextEncoder().encode(msg));
    expect(back.origin).to.equal('gw-a');
    expect(back.placement).to.deep.equal({ endpointId: 'ep-1', blockHashes: hashes, model: 'llama', capacityBlocks: 9000 });
  });

  const bad = [
    { name: 'not JSON', data: '{', match: /not JSON/ },
    { name: 'wrong version', data: '{"v":2}', match: /unsupported placement version 2/ },
    { name: 'missing endpoint', data: '{"v":1,"origin":"g","blockHashes":[]}', match: /endpointId/ },
    { name: 'bad hash', data: '{"v":1,"origin":"g","endpointId":"e","blockHashes":["xyz"]}', match: /blockHashes\[0\]/ },
    { name: 'hash too long', data: '{"v":1,"origin":"g","endpointId":"e","blockHashes":["11112222333344445"]}', match: /blockHashes\[0\]/ },
    { name: 'bad capacity', data: '{"v":1,"origin":"g","endpointId":"e","blockHashes":[],"capacityBlocks":-1}', match: /capacityBlocks/ },
  ];
  for (const tc of bad) {
    it(`rejects ${tc.name}`, () => {
      expect(() => decodePlacement(tc.data)).to.throw(PlacementDecodeError, tc.match);
    });
  }
});

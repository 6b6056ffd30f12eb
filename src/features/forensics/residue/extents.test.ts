// Tests of the filefrag parser: ranges in bytes, adjacent extents merged, headers ignored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFilefrag } from './extents.js';

describe('residue: data ranges of sparse files', () => {
  it('turns extents into merged byte ranges', () => {
    const out = `Filesystem type is: ef53
File size of /x is 1073741824 (262144 blocks of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..       3:      34816..     34819:      4:
   1:        4..       7:      40000..     40003:      4:      34820:
   2:    25600..   26367:          0..         0:      0:             last,unknown_loc,delalloc
/x: 3 extents found
`;
    assert.deepEqual(parseFilefrag(out), [
      [0, 8 * 4096],
      [25600 * 4096, 26368 * 4096],
    ]);
    assert.deepEqual(parseFilefrag('/x: 0 extents found\n'), []);
  });
});

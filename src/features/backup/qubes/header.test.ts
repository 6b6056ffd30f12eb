// Table tests of the backup-header parser: Qubes R4 headers, every refused form with its line or field, and the passphrases bound to names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkPassphrase, headerPassphrase, parseBackupHeader } from './header.js';

const GOOD =
  'version=4\nencrypted=True\ncompressed=True\ncompression-filter=gzip\nhmac-algorithm=scrypt\ncrypto-algorithm=scrypt\nbackup-id=20161020T123455-1234\n';

test('a Qubes R4 header parses; unknown keys are ignored', () => {
  const h = parseBackupHeader(Buffer.from(GOOD + 'future-key=x\n'));
  assert.deepEqual(h, {
    version: 4,
    encrypted: true,
    compressed: true,
    compressionFilter: 'gzip',
    hmacAlgorithm: 'scrypt',
    cryptoAlgorithm: 'scrypt',
    backupId: '20161020T123455-1234',
  });
  assert.equal(parseBackupHeader(Buffer.from(GOOD.replace('compressed=True', 'compressed=False'))).compressionFilter, null);
});

test('passphrases bind the file name and the backup id', () => {
  assert.equal(headerPassphrase('pw'), 'backup-header!pw');
  assert.equal(chunkPassphrase('ID-1', 'vm3/private.img.002', 'pw'), 'ID-1!vm3/private.img.002!pw');
});

const BAD: [string, RegExp][] = [
  [GOOD.replace('version=4', 'version=3'), /format version 3 is not supported/],
  [GOOD.replace('hmac-algorithm=scrypt', 'hmac-algorithm=SHA512'), /hmac-algorithm SHA512 is not scrypt/],
  [GOOD.replace(/backup-id=.*\n/, ''), /lacks backup-id/],
  [GOOD.replace('backup-id', 'backup_id'), /line 7: key 'backup_id' holds characters/],
  [GOOD + 'version=4\n', /line 8: version is given twice/],
  [GOOD.replace('gzip', 'gz ip'), /value of compression-filter/],
  [GOOD + 'a=b=c\n', /line 8: is not one key=value/],
  [GOOD + 'noequals\n', /is not one key=value/],
  [GOOD.replace(/compression-filter=gzip\n/, ''), /lacks compression-filter/],
  ['version=4\n', /lacks compressed/],
  [GOOD.replace('True', 'Tr\u00fce'), /non-ASCII/],
  [GOOD + 'x'.repeat(5000), /larger than 4096/],
];
test('bad headers: one error naming the line or field', () => {
  for (const [text, re] of BAD)
    assert.throws(
      () => parseBackupHeader(Buffer.from(text, 'latin1')),
      (e: Error & { code?: string }) => re.test(e.message) && e.code === 'ERR_QUBES_BACKUP',
      text,
    );
});

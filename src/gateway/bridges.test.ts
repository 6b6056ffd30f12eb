// Table tests of the bridge-line parser: accepted forms (normalised), and every bad form named by line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBridgeLine, parseBridges, MAX_BRIDGES } from './index.js';
import { FP } from './fixtures.test-util.js';

/** A real-length obfs4 cert (52 bytes, base64 without padding, as obfs4proxy prints it). */
const CERT = 'ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw';
/** Match an error's message (assert.throws with a bare RegExp also sees the error's name). */
const msg = (re: RegExp) => (e: Error) => re.test(e.message);
const OBFS4 = `obfs4 192.0.2.7:443 ${FP} cert=${CERT} iat-mode=0`;

test('accepted bridge lines and their torrc form', () => {
  const ok: [string, string, 'obfs4' | 'plain'][] = [
    [OBFS4, OBFS4, 'obfs4'],
    [`Bridge ${OBFS4}`, OBFS4, 'obfs4'],
    [`  obfs4\t192.0.2.7:443  ${FP.toLowerCase()} cert=${CERT} iat-mode=2 `, `obfs4 192.0.2.7:443 ${FP} cert=${CERT} iat-mode=2`, 'obfs4'],
    [`obfs4 [2001:DB8::7]:9443 ${FP} cert=${CERT}== iat-mode=1`, `obfs4 [2001:db8::7]:9443 ${FP} cert=${CERT}== iat-mode=1`, 'obfs4'],
    ['192.0.2.8:9001', '192.0.2.8:9001', 'plain'],
    [`192.0.2.8:9001 ${FP}`, `192.0.2.8:9001 ${FP}`, 'plain'],
    [`[::ffff:192.0.2.9]:443 ${FP}`, `[::ffff:192.0.2.9]:443 ${FP}`, 'plain'],
    ['[2001:db8:0:0:0:0:0:1]:1', '[2001:db8:0:0:0:0:0:1]:1', 'plain'],
  ];
  for (const [input, line, transport] of ok) {
    const b = parseBridgeLine(input, 'line 1');
    assert.equal(b.line, line, input);
    assert.equal(b.transport, transport, input);
  }
});

test('bad bridge lines: one error naming the line and the field', () => {
  const bad: [string, RegExp][] = [
    [`obfs4 192.0.2.7:443 ${FP} cert=${CERT}`, /^line 1: line: an obfs4 bridge is .*got 4/],
    [`obfs4 192.0.2.7:443 ${FP} cert=${CERT} iat-mode=0 extra`, /^line 1: line: an obfs4 bridge is/],
    [`obfs4 192.0.2.7 ${FP} cert=${CERT} iat-mode=0`, /^line 1: address: '192\.0\.2\.7' is not IPv4:PORT/],
    [`obfs4 192.0.2.300:443 ${FP} cert=${CERT} iat-mode=0`, /^line 1: address: '192\.0\.2\.300' is not an IPv4 address/],
    [`obfs4 2001:db8::1:443 ${FP} cert=${CERT} iat-mode=0`, /^line 1: address: .* is not IPv4:PORT or \[IPv6\]:PORT/],
    [`obfs4 [2001:db8:::1]:443 ${FP} cert=${CERT} iat-mode=0`, /^line 1: address: '2001:db8:::1' is not an IPv6 address/],
    [`obfs4 [1:2:3:4:5:6:7:8:9]:443 ${FP} cert=${CERT} iat-mode=0`, /^line 1: address: .* is not an IPv6 address/],
    [`obfs4 192.0.2.7:0 ${FP} cert=${CERT} iat-mode=0`, /^line 1: port: '0' is not a port/],
    [`obfs4 192.0.2.7:65536 ${FP} cert=${CERT} iat-mode=0`, /^line 1: port: '65536'/],
    [`obfs4 192.0.2.7:0443 ${FP} cert=${CERT} iat-mode=0`, /^line 1: port: '0443'/],
    [`obfs4 192.0.2.7:443 ${FP.slice(1)} cert=${CERT} iat-mode=0`, /^line 1: fingerprint: .* is not 40 hex digits/],
    [`obfs4 192.0.2.7:443 ${FP.slice(1)}G cert=${CERT} iat-mode=0`, /^line 1: fingerprint:/],
    [`obfs4 192.0.2.7:443 ${FP} crt=${CERT} iat-mode=0`, /^line 1: cert: expected cert=BASE64/],
    [`obfs4 192.0.2.7:443 ${FP} cert=abc!def iat-mode=0`, /^line 1: cert: 'abc!def' is not base64/],
    [`obfs4 192.0.2.7:443 ${FP} cert=abcde iat-mode=0`, /^line 1: cert: 'abcde' is not base64/],
    [`obfs4 192.0.2.7:443 ${FP} cert=ab=c iat-mode=0`, /^line 1: cert:/],
    [`obfs4 192.0.2.7:443 ${FP} cert=${CERT} iat-mode=3`, /^line 1: iat-mode: expected iat-mode=0, 1 or 2/],
    [`obfs4 192.0.2.7:443 ${FP} iat-mode=0 cert=${CERT}`, /^line 1: cert: expected/],
    [`meek_lite 192.0.2.7:443 ${FP} url=https://x front=y`, /^line 1: transport: 'meek_lite' is not supported/],
    [`snowflake 192.0.2.7:443 ${FP}`, /^line 1: transport: 'snowflake' is not supported/],
    [`192.0.2.8:9001 ${FP} extra`, /^line 1: line: a plain bridge is/],
    ['', /^line 1: line: is empty/],
    ['Bridge ', /^line 1: line: is empty/],
    [`${OBFS4}\nUseBridges 0`, /^line 1: line: must not contain control characters/],
    [`${OBFS4}\r`, /^line 1: line: must not contain control/],
    ['x'.repeat(3000), /^line 1: line: longer than 2048/],
  ];
  for (const [input, re] of bad) {
    assert.throws(
      () => parseBridgeLine(input, 'line 1'),
      (e: Error & { code?: string }) => re.test(e.message) && e.code === 'ERR_INVALID_VALUE',
      `${re.source} for ${JSON.stringify(input.slice(0, 80))}`,
    );
  }
  assert.throws(() => parseBridgeLine(42, 'line 1'), msg(/^line 1: line: must be a string/));
});

test('a list: comments and blank lines skipped, numbering as given, duplicates and empty lists refused', () => {
  const list = parseBridges(['# my bridges', '', OBFS4, '   ', `192.0.2.8:9001 ${FP}`], 'line');
  assert.deepEqual(
    list.map((b) => b.line),
    [OBFS4, `192.0.2.8:9001 ${FP}`],
  );
  assert.throws(() => parseBridges(['# c', OBFS4, '', 'obfs4 192.0.2.7:443 nope cert=a iat-mode=0']), msg(/^line 4: fingerprint: 'nope'/));
  assert.throws(() => parseBridges([OBFS4, '10.0.0.1'], 'argument'), msg(/^argument 2: address:/));
  assert.throws(() => parseBridges([OBFS4, `Bridge ${OBFS4}`]), msg(/^line 2: line: appears twice/));
  assert.throws(() => parseBridges(['# only a comment', '']), msg(/^bridges: no bridge line given/));
  assert.throws(() => parseBridges('obfs4 …'), msg(/^bridges: must be a list/));
  const many = Array.from({ length: MAX_BRIDGES + 1 }, (_, i) => `192.0.2.${i % 250}:${1000 + i}`);
  assert.throws(() => parseBridges(many), msg(/^bridges: at most 64 bridges/));
});

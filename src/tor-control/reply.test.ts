// Tests of the tor control-reply parser: single, multi-line, data blocks, dot-unstuffing, split chunks, events, text form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGetinfo, ReplyParser, replyText } from './reply.js';

test('single-line and multi-line replies', () => {
  const p = new ReplyParser();
  const r = p.push('250 OK\r\n250-version=0.4.9.11\r\n250-status/circuit-established=1\r\n250 OK\r\n');
  assert.equal(r.length, 2);
  assert.deepEqual(r[0], { status: 250, lines: [{ text: 'OK' }] });
  assert.deepEqual(
    [...parseGetinfo(r[1]!)],
    [
      ['version', '0.4.9.11'],
      ['status/circuit-established', '1'],
    ],
  );
});

test('data blocks with dot-unstuffing, split across chunks', () => {
  const p = new ReplyParser();
  const text = '250+circuit-status=\r\n1 BUILT $AAAA~a,$BBBB~b PURPOSE=GENERAL\r\n..leading dot\r\n2 EXTENDED $CCCC~c\r\n.\r\n250 OK\r\n';
  const out = [];
  for (let i = 0; i < text.length; i += 7) out.push(...p.push(text.slice(i, i + 7)));
  assert.equal(out.length, 1);
  assert.equal(parseGetinfo(out[0]!).get('circuit-status'), '1 BUILT $AAAA~a,$BBBB~b PURPOSE=GENERAL\n.leading dot\n2 EXTENDED $CCCC~c');
});

test('errors and asynchronous events are replies of their own', () => {
  const p = new ReplyParser();
  const r = p.push('552 Unrecognized key "address"\r\n650 HS_DESC UPLOADED abc UNKNOWN $X\r\n');
  assert.deepEqual(
    r.map((x) => x.status),
    [552, 650],
  );
  assert.equal(r[1]?.lines[0]?.text, 'HS_DESC UPLOADED abc UNKNOWN $X');
});

test('a malformed line is an error, not a silent skip', () => {
  assert.throws(() => new ReplyParser().push('hello\r\n'), /malformed tor control line/);
});

test('a bounded parser throws on a reply longer than its bound; complete replies reset the count', () => {
  const p = new ReplyParser(100);
  for (let i = 0; i < 10; i++) assert.equal(p.push(`250 ${'x'.repeat(60)}\r\n`).length, 1);
  assert.throws(() => p.push(`250-${'y'.repeat(60)}\r\n250-${'y'.repeat(60)}\r\n`), /longer than 100 characters/);
  assert.throws(() => new ReplyParser(100).push('2'.repeat(101)), /longer than 100/);
  assert.equal(new ReplyParser().push(`250 ${'z'.repeat(200_000)}\r\n`).length, 1, 'unbounded by default');
});

test('reply framing: mid lines, data blocks, async events', () => {
  const p = new ReplyParser();
  const got = [...p.push('650 BW 1 2\r\n250-a=1\r\n25'), ...p.push('0+b=\r\nline 250 OK\r\n.\r\n250 OK\r\n510 x\r\n')];
  assert.deepEqual(got.filter((r) => r.status !== 650).map(replyText), ['250-a=1\r\n250+b=\r\nline 250 OK\r\n.\r\n250 OK\r\n', '510 x\r\n']);
  const small = new ReplyParser(100);
  assert.doesNotThrow(() => small.push('250-a=' + 'x'.repeat(50) + '\r\n'));
  assert.doesNotThrow(() => small.push('250 OK\r\n'), 'a complete reply resets the count');
  assert.doesNotThrow(() => small.push('250-a=' + 'x'.repeat(60) + '\r\n250-b='));
  assert.throws(() => small.push('y'.repeat(40)), /longer than 100/, 'an unfinished reply over the bound');
});

test('the text form gives back what tor sent, dot-stuffing included', () => {
  for (const text of ['250 OK\r\n', '552 Unrecognized key "x"\r\n', '250-version=0.4.8.1\r\n250 OK\r\n', '250+ns/all=\r\n..dot\r\nr x\r\n.\r\n250 OK\r\n']) {
    const [r] = new ReplyParser().push(text);
    assert.equal(replyText(r!), text);
  }
});

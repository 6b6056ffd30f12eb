// Table tests of the policy parser: tokens per place, rule lines, every error form, directives and includes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy, parsePolicyText, parseRuleLine, parseServiceLine, parseToken, memFiles } from './index.js';
import type { PolicyLoad, TokenPlace } from './index.js';

// [token, places where it is legal]
const TOKENS: Array<[string, TokenPlace[]]> = [
  ['work', ['source', 'target', 'redirect', 'requested']],
  ['dom0', ['source', 'target', 'redirect', 'requested']],
  ['@adminvm', ['source', 'target', 'redirect', 'requested']],
  ['uuid:d8a249f1-b02b-4944-a9e5-437def2fbe2c', ['source', 'target', 'redirect', 'requested']],
  ['*', ['source', 'target']],
  ['@anyvm', ['source', 'target']],
  ['@default', ['target', 'requested']],
  ['@type:AppVM', ['source', 'target']],
  ['@tag:anon-vm', ['source', 'target']],
  ['@dispvm', ['target', 'redirect', 'requested']],
  ['@dispvm:default-dvm', ['source', 'target', 'redirect', 'requested']],
  ['@dispvm:uuid:d8a249f1-b02b-4944-a9e5-437def2fbe2c', ['source', 'target', 'redirect', 'requested']],
  ['@dispvm:@tag:t', ['source', 'target']],
  ['', []],
  ['@invalid', []],
  ['@dispvm:', []],
  ['@dispvm:@tag:', []],
  ['@tag:', []],
  ['@type:', []],
  ['@uuid:', []],
  ['@uuid:d8a249f1', []],
  ['uuid:', []],
  ['@tag:@x', []],
  ['@dispvm:@x', []],
  ['@ANYVM', []],
];
const PLACES: TokenPlace[] = ['source', 'target', 'redirect', 'requested'];

for (const [tok, legal] of TOKENS) {
  for (const place of PLACES) {
    const ok = legal.includes(place);
    test(`token '${tok}' as ${place}: ${ok ? 'legal' : 'error'}`, () => {
      const r = parseToken(tok, place);
      assert.equal(typeof r !== 'string', ok, typeof r === 'string' ? r : JSON.stringify(r));
    });
  }
}

test('dom0 and @adminvm are the same token', () => {
  assert.deepEqual(parseToken('dom0', 'target'), { kind: 'adminvm' });
  assert.deepEqual(parseToken('@adminvm', 'source'), { kind: 'adminvm' });
});

const VALID_LINES = [
  'qubes.Filecopy * @anyvm @anyvm ask',
  'qubes.Filecopy\t*\t@anyvm\t\t@anyvm\task',
  '   qubes.Filecopy   *  @anyvm @anyvm ask   ',
  '* * @anyvm @anyvm deny',
  '* * * * deny notify=no',
  'svc + @anyvm @anyvm allow',
  'svc +arg+more @tag:t @type:AppVM allow target=work user=root notify=yes autostart=no',
  'svc * @anyvm @default allow target=@dispvm:dvm',
  'svc * @anyvm @default ask default_target=work',
  'svc * @anyvm @adminvm ask target=dom0 default_target=@adminvm',
  'svc * @dispvm:@tag:t @dispvm:@tag:t deny',
  'svc * uuid:abc uuid:def allow target=uuid:fed',
  'a.b-c_d * dom0 @anyvm allow',
  'svc * @anyvm @anyvm allow user=',
];
for (const line of VALID_LINES) {
  test(`valid line: ${JSON.stringify(line)}`, () => {
    const r = parseRuleLine(line, 'f', 1);
    assert.equal(typeof r, 'object', String(r));
  });
}

const INVALID_LINES: Array<[string, RegExp]> = [
  ['svc * @anyvm @anyvm', /wrong number of fields/],
  ['svc * @anyvm', /wrong number of fields/],
  ['svc', /wrong number of fields/],
  ['sv+c * @anyvm @anyvm deny', /service .* invalid characters/],
  ['sv/c * @anyvm @anyvm deny', /service .* invalid characters/],
  ['svc arg @anyvm @anyvm deny', /does not start with \+/],
  ['svc +a/b @anyvm @anyvm deny', /argument .* invalid characters/],
  ['* +arg @anyvm @anyvm deny', /only \* argument allowed for \* service/],
  ['svc * @dispvm @default allow', /invalid source token/],
  ['svc * @default @default allow', /invalid source token/],
  ['svc * @invalid @anyvm allow', /invalid source token/],
  ['svc * @anyvm @invalid deny', /invalid target token/],
  ['svc * @anyvm @tag: deny', /invalid target token/],
  ['svc * @anyvm @anyvm invalid', /invalid action: invalid/],
  ['svc * @anyvm @anyvm Allow', /invalid action/],
  ['svc * @anyvm @default allow,target=work', /invalid action/],
  ['svc * @anyvm @anyvm allow extra', /invalid action parameter syntax/],
  ['svc * @anyvm @anyvm allow # comment', /invalid action parameter syntax/],
  ['svc * @anyvm @anyvm allow notify', /invalid action parameter syntax/],
  ['svc * @anyvm @anyvm allow notify=xx', /'notify' is 'xx'/],
  ['svc * @anyvm @anyvm allow autostart=true', /'autostart' is 'true'/],
  ['svc * @anyvm @anyvm allow user=a user=b', /parameter given twice: 'user'/],
  ['svc * @anyvm @anyvm allow invalid=xx', /invalid parameter for action allow/],
  ['svc * @anyvm @anyvm allow default_target=work', /invalid parameter for action allow/],
  ['svc * @anyvm @anyvm deny target=work', /invalid parameter for action deny/],
  ['svc * @anyvm @anyvm deny default_target=work', /invalid parameter for action deny/],
  ['svc * @anyvm @anyvm deny user=user', /invalid parameter for action deny/],
  ['svc * @anyvm @anyvm deny autostart=no', /invalid parameter for action deny/],
  ['svc * @anyvm @default allow', /must specify target=/],
  ['svc * @anyvm @default allow target=@dispvm:@tag:t', /redirect token/],
  ['svc * @anyvm @default allow target=@tag:t', /redirect token/],
  ['svc * @anyvm @default allow target=@anyvm', /redirect token/],
  ['svc * @anyvm @default allow target=@default', /redirect token/],
  ['svc * @anyvm @default allow target=*', /redirect token/],
  ['svc * @anyvm @default allow target=', /redirect token/],
  ['svc * @anyvm @anyvm ask default_target=@type:AppVM', /redirect token/],
];
for (const [line, why] of INVALID_LINES) {
  test(`invalid line: ${JSON.stringify(line)}`, () => {
    const r = parseRuleLine(line, 'f', 7);
    assert.equal(typeof r, 'string');
    assert.match(r as string, why);
  });
}

test('defaults: deny notifies, allow and ask do not; autostart yes', () => {
  const d = parseRuleLine('s * @anyvm @anyvm deny', 'f', 1);
  const a = parseRuleLine('s * @anyvm @anyvm allow', 'f', 1);
  const k = parseRuleLine('s * @anyvm @anyvm ask notify=yes autostart=no', 'f', 1);
  assert.ok(typeof d === 'object' && typeof a === 'object' && typeof k === 'object');
  assert.equal(d.action.notify, true);
  assert.equal(a.action.notify, false);
  assert.equal(a.action.autostart, true);
  assert.equal(k.action.notify, true);
  assert.equal(k.action.autostart, false);
});

const OLD_VALID = ['$anyvm $anyvm ask', '$anyvm $dispvm ask,default_target=$dispvm', '$tag:t $type:AppVM allow,target=work,user=root', 'work personal allow'];
for (const line of OLD_VALID) {
  test(`old syntax valid: ${line}`, () => {
    const sub = line.replaceAll('$', '@').replaceAll(',', ' ');
    assert.equal(typeof parseServiceLine('svc', '+', sub, 'f', 1), 'object');
  });
}
const OLD_INVALID = ['@dispvm @default allow', '@anyvm @anyvm', '@anyvm @anyvm allow extra', '@anyvm @default allow', '@anyvm @anyvm deny target=x'];
for (const line of OLD_INVALID) {
  test(`old syntax invalid: ${line}`, () => {
    assert.equal(typeof parseServiceLine('svc', '+', line, 'f', 1), 'string');
  });
}

function errors(load: PolicyLoad): string[] {
  return load.ok ? [] : load.errors.map((e) => `${e.file}:${e.line}: ${e.message}`);
}

test('comments, blank lines and line numbers', () => {
  const load = parsePolicyText('# c\n\n  # indented\r\nsvc * @anyvm @anyvm deny\n\tsvc * work personal allow  \n', '/p/a.policy');
  assert.ok(load.ok);
  assert.deepEqual(
    load.policy.rules.map((r) => r.line),
    [4, 5],
  );
});

test('every bad line is reported with file and line, and nothing loads', () => {
  const load = parsePolicyText('svc * @anyvm @anyvm deny\nbad\nsvc * @x @anyvm allow\n!nope\n', '/p/a.policy');
  assert.deepEqual(errors(load), [
    '/p/a.policy:2: wrong number of fields',
    "/p/a.policy:3: invalid source token: '@x' (unknown keyword)",
    '/p/a.policy:4: invalid directive',
  ]);
});

const DIRECTIVE_ERRORS: Array<[string, RegExp]> = [
  ['!include', /invalid number of params/],
  ['!include a b', /invalid number of params/],
  ['!include-dir', /invalid number of params/],
  ['!include-service svc * ', /invalid number of params/],
  ['!include-service svc * f extra', /invalid number of params/],
  ['!compat-4.0 x', /invalid number of params/],
  ['!include missing.policy', /not a file/],
  ['!include-dir missing', /not a directory/],
  ['!include-service * +a inc/old', /only \* argument allowed/],
  ['!include-service bad/svc * inc/old', /invalid characters/],
  ['!includes x', /invalid directive/],
];
for (const [line, why] of DIRECTIVE_ERRORS) {
  test(`directive error: ${line}`, () => {
    const files = memFiles({ '/p/inc/old': '$anyvm $anyvm deny\n' });
    const e = errors(parsePolicyText(line + '\n', '/p/a.policy', files));
    assert.equal(e.length, 1, e.join('\n'));
    assert.match(e[0]!, /^\/p\/a\.policy:1: /);
    assert.match(e[0]!, why);
  });
}

test('!include, !include-dir and !include-service keep order and file:line', () => {
  const files = memFiles({
    '/etc/p/30-user.policy': 'a * w1 w2 allow\n!include inc/one\n!include-dir inc/d\n!include-service svc +x inc/old\nz * @anyvm @anyvm deny\n',
    '/etc/p/inc/one': '\nb * w1 w2 allow\n',
    '/etc/p/inc/d/20-b.policy': 'd * w1 w2 allow\n',
    '/etc/p/inc/d/10-a.policy': 'c * w1 w2 allow\n',
    '/etc/p/inc/d/ignored.txt': 'garbage\n',
    '/etc/p/inc/old': '# old\n$anyvm $dispvm ask,default_target=$dispvm\n$include:/etc/p/inc/old2\n',
    '/etc/p/inc/old2': 'work $anyvm deny\n',
  });
  const load = loadPolicy(['/etc/p'], files);
  assert.ok(load.ok, errors(load).join('\n'));
  assert.deepEqual(
    load.policy.rules.map((r) => `${r.service}@${r.file}:${r.line}`),
    [
      'a@/etc/p/30-user.policy:1',
      'b@/etc/p/inc/one:2',
      'c@/etc/p/inc/d/10-a.policy:1',
      'd@/etc/p/inc/d/20-b.policy:1',
      'svc@/etc/p/inc/old:2',
      'svc@/etc/p/inc/old2:1',
      'z@/etc/p/30-user.policy:5',
    ],
  );
  const old = load.policy.rules[4]!;
  assert.equal(old.argument, '+x');
  assert.deepEqual(old.target, { kind: 'dispvm' });
  assert.deepEqual(old.action.defaultTarget, { kind: 'dispvm' });
});

test('an error inside an included file names that file', () => {
  const files = memFiles({ '/p/a.policy': '!include inc\n', '/p/inc': 'ok * a b allow\nbroken\n' });
  assert.deepEqual(errors(loadPolicy(['/p'], files)), ['/p/inc:2: wrong number of fields']);
});

test('include loops are errors, not hangs', () => {
  const files = memFiles({ '/p/a.policy': '!include b\n', '/p/b': '!include b\n' });
  assert.match(errors(loadPolicy(['/p'], files)).join(), /include loop/);
});

test('directories: *.policy only, C-locale order, earlier directory hides same name', () => {
  const files = memFiles({
    '/run/p/50-x.policy': 'run * a b allow\n',
    '/etc/p/50-x.policy': 'hidden * a b allow\n',
    '/etc/p/10-a.policy': 'ten * a b allow\n',
    '/etc/p/9-b.policy': 'nine * a b allow\n',
    '/etc/p/a_b.policy': 'ab * a b allow\n',
    '/etc/p/README': 'not policy\n',
    '/etc/p/.hidden.policy': 'broken\n',
    '/etc/p/x.policy.rpmsave': 'broken\n',
  });
  const load = loadPolicy(['/run/p', '/etc/p'], files);
  assert.ok(load.ok, errors(load).join('\n'));
  assert.deepEqual(
    load.policy.rules.map((r) => r.service),
    ['ten', 'run', 'nine', 'ab'],
  );
});

test('an invalidly named policy file fails the whole load', () => {
  const files = memFiles({ '/p/10-A.policy': 'a * a b allow\n', '/p/20-b.policy': 'b * a b allow\n' });
  assert.match(errors(loadPolicy(['/p'], files)).join(), /invalid filename: \/p\/10-A\.policy/);
});

test('a missing policy directory fails the load', () => {
  assert.equal(loadPolicy(['/nope'], memFiles({})).ok, false);
});

test('!compat-4.0 reads 4.0 per-service files: arguments before the general file, implicit denies', () => {
  const files = memFiles({
    '/p/35-compat.policy': '!compat-4.0\n',
    '/legacy/qubes.Svc': '$anyvm $anyvm ask\n',
    '/legacy/qubes.Svc+b': 'work personal allow\n',
    '/legacy/qubes.Svc+a': '$anyvm dom0 allow\n',
    '/legacy/qubes.Svc.rpmnew': 'broken\n',
    '/legacy/bad name': 'broken\n',
  });
  const load = loadPolicy(['/p'], files, { legacyDir: '/legacy' });
  assert.ok(load.ok, errors(load).join('\n'));
  assert.deepEqual(
    load.policy.rules.map((r) => `${r.argument} ${r.source.kind} ${r.target.kind} ${r.action.name}`),
    [
      '+a anyvm adminvm allow',
      '+a anyvm anyvm deny',
      '+a anyvm adminvm deny',
      '+b name name allow',
      '+b anyvm anyvm deny',
      '+b anyvm adminvm deny',
      'null anyvm anyvm ask',
    ],
  );
  assert.equal(load.warnings.length, 1);
});

test('!compat-4.0 without a legacy directory is an error', () => {
  const files = memFiles({ '/p/35-compat.policy': '!compat-4.0\n' });
  assert.match(errors(loadPolicy(['/p'], files, { legacyDir: '/legacy' })).join(), /35-compat\.policy:1: cannot list \/legacy/);
});

// Desktop entries: the [Desktop Entry] group, NoDisplay and Hidden, Exec quoting and field codes, bad files named by line, a light fuzz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execArgv, findApp, parseDesktopEntry } from './desktop-entry.js';
import { isBulkheadError } from '../../errors/index.js';

const XTERM = `[Desktop Entry]
# a comment
Name=XTerm
Name[de]=XTerm-Terminal
Comment=standard terminal emulator
Exec=xterm
Icon=mini.xterm
Type=Application

[Desktop Action new]
Exec=evil --other-group
`;

test('an application entry: its id, Name (not a localized one), Exec as argv', () => {
  assert.deepEqual(parseDesktopEntry('debian-xterm', XTERM), { id: 'debian-xterm', name: 'XTerm', argv: ['xterm'], noDisplay: false });
});

test('NoDisplay marks, Hidden and non-applications are not apps, no Exec is not an app', () => {
  assert.equal(parseDesktopEntry('x', '[Desktop Entry]\nType=Application\nName=X\nExec=x\nNoDisplay=true\n')!.noDisplay, true);
  assert.equal(parseDesktopEntry('x', '[Desktop Entry]\nType=Application\nName=X\nExec=x\nHidden=true\n'), null);
  assert.equal(parseDesktopEntry('x', '[Desktop Entry]\nType=Link\nName=X\nURL=http://x\n'), null);
  assert.equal(parseDesktopEntry('x', '[Desktop Entry]\nType=Application\nName=X\n'), null);
  assert.equal(parseDesktopEntry('x', '[Other]\nType=Application\nExec=x\n'), null);
});

test('field codes are removed, %% is a percent, quoting follows the spec, and no shell is involved', () => {
  assert.deepEqual(execArgv('xpdf %f'), ['xpdf']);
  assert.deepEqual(execArgv('mupdf %U --x'), ['mupdf', '--x']);
  assert.deepEqual(execArgv('app --file=%f --name %c %i %k'), ['app', '--name']);
  assert.deepEqual(execArgv('printf 100%%'), ['printf', '100%']);
  assert.deepEqual(execArgv('"/opt/my app/bin" "a \\"b\\" \\$HOME" `x` $(y);z'), ['/opt/my app/bin', 'a "b" $HOME', '`x`', '$(y);z']);
  assert.deepEqual(execArgv('sh -c "echo hi; rm -rf ~"'), ['sh', '-c', 'echo hi; rm -rf ~'], 'an argv: the qube itself runs it, as its own user');
  assert.deepEqual(
    parseDesktopEntry('e', '[Desktop Entry]\nType=Application\nName=E\nExec=ed\\sit %F\n')!.argv,
    ['ed', 'it'],
    'the value is unescaped first, then split',
  );
});

test('bad entries are refused with the file and line', () => {
  const err = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(isBulkheadError(e));
      return e.message;
    }
    return 'no error';
  };
  assert.match(
    err(() => parseDesktopEntry('x', '[Desktop Entry]\nType=Application\nExec="unclosed\n', 'usr/share/applications/x.desktop')),
    /^usr\/share\/applications\/x\.desktop:3: Exec: a quote is not closed/,
  );
  assert.match(
    err(() => parseDesktopEntry('x', '[Desktop Entry]\nType=Application\nthis is not a pair\nExec=x\n')),
    /x\.desktop:3: not a key=value line/,
  );
  assert.match(
    err(() => execArgv('x %z')),
    /unknown field code %z/,
  );
  assert.match(
    err(() => execArgv('%f %u')),
    /no command/,
  );
  assert.match(
    err(() => execArgv(Array.from({ length: 70 }, () => 'a').join(' '))),
    /more than 64 arguments/,
  );
  assert.match(
    err(() => parseDesktopEntry('x', 'a'.repeat(70_000))),
    /longer than 65536 bytes/,
  );
});

test('findApp takes the id, else the Name ignoring case', () => {
  const apps = [
    { id: 'debian-xterm', name: 'XTerm', argv: ['xterm'], noDisplay: false },
    { id: 'xpdf', name: 'Xpdf', argv: ['xpdf'], noDisplay: false },
  ];
  assert.equal(findApp(apps, 'xterm')!.id, 'debian-xterm');
  assert.equal(findApp(apps, 'xpdf')!.id, 'xpdf');
  assert.equal(findApp(apps, 'nope'), null);
});

test('a seeded fuzz: any text gives an app, null or a named error, never anything else; argv never holds an empty field-code argument', () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alphabet = [
    '[Desktop Entry]',
    '\n',
    '=',
    'Exec',
    'Type=Application',
    ' ',
    '"',
    '\\',
    '%',
    'f',
    '%%',
    'Name',
    'NoDisplay=true',
    '#',
    '[x]',
    'a',
    '$',
    '`',
  ];
  for (let i = 0; i < 3000; i++) {
    let text = '[Desktop Entry]\nType=Application\n';
    const n = Math.floor(rnd() * 40);
    for (let j = 0; j < n; j++) text += alphabet[Math.floor(rnd() * alphabet.length)];
    try {
      const app = parseDesktopEntry('f', text);
      if (app) {
        assert.ok(app.argv.length >= 1 && app.argv.length <= 64);
        assert.ok(app.argv.every((a) => typeof a === 'string'));
      }
    } catch (e) {
      assert.ok(isBulkheadError(e) && e.code === 'ERR_INVALID_VALUE', String(e));
      assert.match(e.message, /^f\.desktop:\d+: /);
    }
  }
});

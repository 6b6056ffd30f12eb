// Table of names and symlinks with the verdict Qubes' unpacker gives; shared by the TS and C tests.
const enc = new TextEncoder();

export interface NameCase {
  why: string;
  /** The name, as text or raw bytes. */
  name: string | number[];
  /** Symlink target; absent for files and directories. */
  target?: string | number[];
  ok: boolean;
}

export const toBytes = (v: string | number[]): Uint8Array => (typeof v === 'string' ? enc.encode(v) : Uint8Array.from(v));

export const NAME_CASES: readonly NameCase[] = [
  { why: 'plain name', name: 'report.pdf', ok: true },
  { why: 'nested name', name: 'dir/sub/file.txt', ok: true },
  { why: 'hidden file', name: '.bashrc', ok: true },
  { why: 'dotted component', name: 'a/..b/c', ok: true },
  { why: 'triple dot', name: '...', ok: true },
  { why: 'space inside', name: 'my file', ok: true },
  { why: 'latin accents', name: 'café/naïve', ok: true },
  { why: 'greek', name: 'αβγ', ok: true },
  { why: 'cyrillic', name: 'файл', ok: true },
  { why: 'japanese', name: 'ファイル名', ok: true },
  { why: 'han', name: '文件', ok: true },
  { why: 'hangul', name: '파일', ok: true },
  { why: 'punctuation', name: "a-b_c(1)[2]{3}!#$%&'+,;=@^`~", ok: true },
  { why: 'empty name', name: '', ok: false },
  { why: 'absolute', name: '/etc/passwd', ok: false },
  { why: 'root alone', name: '/', ok: false },
  { why: 'double slash', name: 'a//b', ok: false },
  { why: 'trailing slash', name: 'a/', ok: false },
  { why: 'dot', name: '.', ok: false },
  { why: 'dot dot', name: '..', ok: false },
  { why: 'leading dot dot', name: '../escape', ok: false },
  { why: 'inner dot dot', name: 'a/../../b', ok: false },
  { why: 'trailing dot dot', name: 'a/..', ok: false },
  { why: 'inner dot', name: 'a/./b', ok: false },
  { why: 'trailing dot', name: 'a/.', ok: false },
  { why: 'newline', name: 'a\nb', ok: false },
  { why: 'tab', name: 'a\tb', ok: false },
  { why: 'escape', name: 'a\x1b[31mb', ok: false },
  { why: 'DEL', name: 'a\x7fb', ok: false },
  { why: 'C1 control', name: [0x61, 0xc2, 0x85], ok: false },
  { why: 'NUL inside', name: [0x61, 0x00, 0x62], ok: false },
  { why: 'lone continuation byte', name: [0x61, 0x80], ok: false },
  { why: 'overlong slash', name: [0x61, 0xc0, 0xaf], ok: false },
  { why: 'overlong 3-byte', name: [0xe0, 0x80, 0xaf], ok: false },
  { why: 'truncated sequence', name: [0x61, 0xe6, 0x96], ok: false },
  { why: 'UTF-16 surrogate', name: [0xed, 0xa0, 0x80], ok: false },
  { why: 'above U+10FFFF', name: [0xf4, 0x90, 0x80, 0x80], ok: false },
  { why: 'invalid lead 0xff', name: [0xff], ok: false },
  { why: 'right-to-left override', name: 'evil\u202egnp.exe', ok: false },
  { why: 'zero width space', name: 'a\u200bb', ok: false },
  { why: 'no-break space', name: 'a\u00a0b', ok: false },
  { why: 'line separator', name: 'a\u2028b', ok: false },
  { why: 'byte order mark', name: '\ufeffa', ok: false },
  { why: 'private use', name: 'a\ue000', ok: false },
  { why: 'noncharacter', name: 'a\ufdd0', ok: false },
  { why: 'unassigned', name: 'a\u0378', ok: false },
  { why: 'combining mark', name: 'e\u0301', ok: false },
  { why: 'hebrew (right-to-left)', name: 'שלום', ok: false },
  { why: 'arabic (right-to-left)', name: 'ملف', ok: false },
  { why: 'devanagari (complex shaping)', name: 'फ़ाइल', ok: false },
  { why: 'emoji (other symbol)', name: 'a\u{1f600}', ok: false },
  { why: 'fullwidth slash look-alike is a symbol, allowed', name: 'a\uff0fb', ok: true },
  // symlinks
  { why: 'symlink to sibling', name: 'd/link', target: 'file', ok: true },
  { why: 'symlink one level up from depth 3', name: 'd/e/link', target: '../x', ok: true },
  { why: 'symlink two levels up from depth 4', name: 'd/e/f/link', target: '../../x', ok: true },
  { why: 'top-level symlink', name: 'link', target: 'file', ok: false },
  { why: 'symlink escaping its top directory', name: 'd/link', target: '../x', ok: false },
  { why: 'symlink climbing too far', name: 'd/e/link', target: '../../x', ok: false },
  { why: 'absolute symlink', name: 'd/link', target: '/etc/passwd', ok: false },
  { why: 'symlink to dot dot only', name: 'd/e/link', target: '..', ok: false },
  { why: 'symlink with inner dot dot', name: 'd/e/link', target: 'a/../../x', ok: false },
  { why: 'symlink to dot', name: 'd/link', target: '.', ok: false },
  { why: 'empty symlink target', name: 'd/link', target: '', ok: false },
  { why: 'symlink target with control char', name: 'd/link', target: 'a\nb', ok: false },
  { why: 'symlink target invalid UTF-8', name: 'd/link', target: [0x61, 0xff], ok: false },
  { why: 'symlink target double slash', name: 'd/link', target: 'a//b', ok: false },
  { why: 'symlink with unsafe name', name: 'd/../link', target: 'x', ok: false },
];

// Adding the qube user to a root filesystem's passwd/group/shadow texts (pure; used for imported roots).

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** The user every qube has (Qubes and Whonix both call it `user`, uid 1000). */
export const QUBE_USER: UserEntry = { name: 'user', uid: 1000, gid: 1000, home: '/home/user', shell: '/bin/bash' };

interface Field {
  name: string;
  id: number;
}

function parse(text: string, idField: number): Field[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .map((f) => ({ name: f[0] ?? '', id: Number(f[idField]) }));
}

function append(text: string, line: string): string {
  return (text === '' || text.endsWith('\n') ? text : text + '\n') + line + '\n';
}

export interface AccountTexts {
  passwd: string;
  group: string;
  /** Absent when the root has no /etc/shadow (or /etc/gshadow). */
  shadow?: string;
  gshadow?: string;
}

/**
 * The account files with `u` added where missing. Throws when the name exists with another
 * uid, or the uid/gid is taken by another name (an imported root we should not guess about).
 */
export function withUser(t: AccountTexts, u: UserEntry = QUBE_USER): AccountTexts & { changed: boolean } {
  const users = parse(t.passwd, 2);
  const groups = parse(t.group, 2);
  const byName = users.find((x) => x.name === u.name);
  const grpByName = groups.find((x) => x.name === u.name);
  if (byName && byName.id !== u.uid) throw new Error(`/etc/passwd: ${u.name} has uid ${byName.id}, expected ${u.uid}`);
  if (!byName && users.some((x) => x.id === u.uid)) throw new Error(`/etc/passwd: uid ${u.uid} belongs to another user`);
  if (grpByName && grpByName.id !== u.gid) throw new Error(`/etc/group: ${u.name} has gid ${grpByName.id}, expected ${u.gid}`);
  if (!grpByName && groups.some((x) => x.id === u.gid)) throw new Error(`/etc/group: gid ${u.gid} belongs to another group`);
  const out: AccountTexts & { changed: boolean } = { ...t, changed: false };
  if (!byName) {
    out.passwd = append(t.passwd, `${u.name}:x:${u.uid}:${u.gid}::${u.home}:${u.shell}`);
    out.changed = true;
  }
  if (!grpByName) {
    out.group = append(t.group, `${u.name}:x:${u.gid}:`);
    out.changed = true;
  }
  // `*`: no password can log in (Qubes' user has none; sudo rules decide what it may do).
  if (t.shadow !== undefined && !parse(t.shadow, 0).some((x) => x.name === u.name)) {
    out.shadow = append(t.shadow, `${u.name}:*:19000:0:99999:7:::`);
    out.changed = true;
  }
  if (t.gshadow !== undefined && !parse(t.gshadow, 0).some((x) => x.name === u.name)) {
    out.gshadow = append(t.gshadow, `${u.name}:!::`);
    out.changed = true;
  }
  return out;
}

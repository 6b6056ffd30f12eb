// What a disposable runs for the residue proof: the canary (read from stdin, never a command line) written everywhere it can write (pure text).

/** Where the script writes the canary inside the disposable; the file copy and the clipboard add theirs. */
export const CANARY_PATHS = [
  '/home/user/canary.txt',
  '/rw/canary.txt',
  '/tmp/canary.txt',
  '/var/canary.txt',
  '/var/tmp/canary.txt',
  '/etc/canary.txt',
] as const;

/** The canary file: the line repeated up to at least `bytes`. */
export function canaryScript(bytes: number): string {
  return [
    'set -eu',
    'IFS= read -r c',
    'f=/tmp/.canary-lines',
    'umask 022',
    'printf \'%s\\n\' "$c" > "$f"',
    `while [ "$(stat -c %s "$f")" -lt ${Math.max(64, Math.floor(bytes))} ]; do cat "$f" "$f" > "$f.2"; mv "$f.2" "$f"; done`,
    ...CANARY_PATHS.map((p) => `cp "$f" ${p}`),
    'chown user:user /home/user/canary.txt',
    // The clipboard file the admin side copies from (the clipboard holds at most 65000 bytes).
    'head -c 60000 "$f" > /home/user/.bulkhead-clipboard',
    'chown user:user /home/user/.bulkhead-clipboard',
    'rm -f "$f"',
    // As a careful program would: everything written is pushed to its file system now.
    'sync',
  ].join('\n');
}

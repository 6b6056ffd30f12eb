// The template package sets (a data table), the cache key of a build, and the apt mirror to use (pure).
import { createHash } from 'node:crypto';

export interface TemplateSet {
  /** Debian suite passed to mmdebstrap. */
  suite: string;
  variant: 'minbase';
  packages: readonly string[];
  doc: string;
}

/** Packages every template holds, so qubes made from it can be tested from the inside. */
const BASE = ['curl', 'iproute2', 'iputils-ping', 'procps', 'python3', 'dnsutils', 'netcat-openbsd', 'ca-certificates'] as const;

/**
 * The small X11 desktop of a qube (docs/desktop.md): its display (Xvfb) and display agent (python3-xlib),
 * a terminal, the clipboard tool, a PDF viewer, an image viewer, a text editor (Motif, shared with xpdf), one font.
 */
export const DESKTOP = ['fonts-dejavu-core', 'nedit', 'python3-xlib', 'xclip', 'xloadimage', 'xpdf', 'xterm', 'xvfb'] as const;

export const TEMPLATE_SETS: Readonly<Record<string, TemplateSet>> = {
  'debian-12': {
    suite: 'bookworm',
    variant: 'minbase',
    packages: [...BASE, ...DESKTOP],
    doc: 'Debian 12 minbase with network and test tools and a small X11 desktop (xterm, xpdf, xloadimage, nedit)',
  },
  'debian-12-gateway': {
    suite: 'bookworm',
    variant: 'minbase',
    packages: [...BASE, 'tor', 'obfs4proxy'],
    doc: 'Tor gateway (Whonix-Gateway role): tor and the obfs4 bridge transport',
  },
  'debian-12-workstation': {
    suite: 'bookworm',
    variant: 'minbase',
    // firefox-esr: the workstation's browser; its proxy and privacy settings are made by gateway/browser-config.ts and mounted in at each workstation start.
    packages: [...BASE, 'torsocks', 'tzdata', 'firefox-esr'],
    doc: 'Workstation behind a gateway (Whonix-Workstation role), with Firefox ESR configured for the gateway',
  },
};

/** Bumped whenever what a build puts into the tarball changes (hooks), so old caches are not reused. */
export const BUILD_FORMAT = 1;

const PACKAGE_RE = /^[a-z0-9][a-z0-9+.-]+$/;

export interface ResolvedSet extends TemplateSet {
  name: string;
  /** Sorted, without duplicates. */
  packages: string[];
  /** Hash of (format, suite, variant, packages): names the cached tarball. */
  key: string;
}

/** The set named `name` plus `extra` packages; refuses unknown names and bad package names. */
export function resolveSet(name: string, extra: readonly string[] = []): ResolvedSet {
  const set = TEMPLATE_SETS[name];
  if (!set) throw new Error(`unknown template ${JSON.stringify(name)} (known: ${Object.keys(TEMPLATE_SETS).join(', ')})`);
  for (const p of extra) {
    if (!PACKAGE_RE.test(p)) throw new Error(`packages: ${JSON.stringify(p)} is not a Debian package name`);
  }
  const packages = [...new Set([...set.packages, ...extra])].sort();
  const key = createHash('sha256')
    .update(JSON.stringify({ format: BUILD_FORMAT, suite: set.suite, variant: set.variant, packages }))
    .digest('hex')
    .slice(0, 16);
  return { ...set, name, packages, key };
}

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/**
 * The Debian archive URI apt on the host uses for `suite`, from a deb822 `.sources` text
 * (/etc/apt/sources.list.d/debian.sources), or null when none is listed.
 */
export function mirrorFromSources(text: string, suite: string): string | null {
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
    }
    if (fields.get('enabled')?.toLowerCase() === 'no') continue;
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if (!(fields.get('suites') ?? '').split(/\s+/).includes(suite)) continue;
    const uri = (fields.get('uris') ?? '').split(/\s+/)[0];
    if (uri && /^https?:\/\//.test(uri)) return uri;
  }
  return null;
}

// The dashboard's request checks, pure: the Host and Origin it must carry (DNS rebinding, foreign pages) and which requests change state.

/** Names the dashboard answers to on its loopback port; anything else is a rebinding attempt or a mistake. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export interface RequestFacts {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  /** Chromium's Sec-Fetch-Site: cross-site and same-site requests are never the page's own. */
  fetchSite: string | undefined;
}

export type Refusal = { status: 403; message: string } | null;

/** Methods that change something: they need the CSRF token too. */
export const isChange = (method: string): boolean => !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());

/** Host always, Origin whenever the browser sends one (always on a change), Sec-Fetch-Site when present. */
export function checkOrigin(f: RequestFacts, port: number): Refusal {
  const hosts = allowedHosts(port);
  if (!f.host || !hosts.includes(f.host.toLowerCase()))
    return { status: 403, message: `host '${f.host ?? ''}' is not the dashboard's (${hosts.join(' or ')})` };
  if (f.origin !== undefined) {
    const origins = hosts.map((h) => `http://${h}`);
    if (!origins.includes(f.origin.toLowerCase())) return { status: 403, message: `origin '${f.origin}' is not the dashboard's` };
  } else if (isChange(f.method)) {
    return { status: 403, message: 'a change needs the Origin header of the dashboard page' };
  }
  if (f.fetchSite !== undefined && !['same-origin', 'none'].includes(f.fetchSite)) return { status: 403, message: `a ${f.fetchSite} request is refused` };
  return null;
}

/** The page's Content-Security-Policy: its own bundled files only, no inline code or style, never framed. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every answer of the dashboard listener. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

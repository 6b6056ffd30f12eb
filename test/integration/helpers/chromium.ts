// Test harness: Debian's Chromium through playwright-core with a fresh profile that never reaches outside, and a free loopback port.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Chromium never reaches outside: no sandbox (root), no GPU, no QUIC, no background or component traffic, a fresh profile. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  ctx: BrowserContext;
  page: Page;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Headless /usr/bin/chromium with a new empty profile under /var/tmp named by the run prefix. */
export async function launchChromium(viewport: { width: number; height: number }): Promise<TestBrowser> {
  const profile = mkdtempSync(`/var/tmp/${process.env.BULKHEAD_TEST_RUN ?? 'bht'}-chromium-`);
  try {
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    return {
      ctx,
      page,
      async close() {
        await ctx.close().catch(() => undefined);
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/** A loopback port free at the time of asking (the dashboard listens on it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

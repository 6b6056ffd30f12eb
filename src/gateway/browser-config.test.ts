// Golden output and bad input of the workstation browser's configuration (Firefox ESR policies and locked prefs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BROWSER_FILES, BROWSER_SOCKS_PORT, browserConfig, planGateway, listenerOf } from './index.js';
import { lockedPrefs } from './browser-config.js';
import { labInput } from './fixtures.test-util.js';

const golden = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

test("golden: Whonix's gateway address, the browser's SocksPort 9150", () => {
  const c = browserConfig({ gatewayAddr: '10.152.152.10' });
  assert.equal(c.policiesJson, golden('browser-policies.json'));
  assert.equal(c.prefsJs, golden('browser-prefs.js'));
});

test('the proxy follows the gateway address and the chosen SocksPort; nothing bypasses it', () => {
  const c = browserConfig({ gatewayAddr: '10.137.0.5', socksPort: 9153 });
  const proxy = (JSON.parse(c.policiesJson) as { policies: { Proxy: Record<string, unknown> } }).policies.Proxy;
  assert.deepEqual(proxy, {
    Mode: 'manual',
    Locked: true,
    SOCKSProxy: '10.137.0.5:9153',
    SOCKSVersion: 5,
    UseProxyForDNS: true,
    Passthrough: '',
    HTTPProxy: '',
    SSLProxy: '',
    UseHTTPProxyForAllProtocols: false,
  });
  assert.ok(!c.policiesJson.includes('10.152.152.10'));
});

test("the browser's SocksPort has a listener on every workstation of the plan, with Whonix's Tor Browser flags", () => {
  assert.equal(BROWSER_SOCKS_PORT, 9150);
  const plan = planGateway(labInput(3));
  for (const w of plan.workstations) {
    const l = listenerOf(w, BROWSER_SOCKS_PORT);
    assert.equal(l.kind, 'socks');
    assert.deepEqual(l.flags, ['IsolateSOCKSAuth', 'KeepAliveIsolateSOCKSAuth']);
  }
});

test('every pref is locked, and the ones the workstation relies on have their values', () => {
  const { prefsJs } = browserConfig({ gatewayAddr: '10.152.152.10' });
  const lines = prefsJs.split('\n').filter((l) => l.startsWith('pref('));
  assert.equal(lines.length, lockedPrefs().size, 'no pref is named twice');
  for (const l of lines) assert.match(l, /^pref\("[a-zA-Z0-9_.-]+", .+, locked\);$/);
  const p = lockedPrefs();
  const want: [string, unknown][] = [
    ['network.proxy.socks_remote_dns', true],
    ['network.proxy.failover_direct', false],
    ['network.trr.mode', 5],
    ['media.peerconnection.enabled', false],
    ['toolkit.telemetry.enabled', false],
    ['datareporting.healthreport.uploadEnabled', false],
    ['app.shield.optoutstudies.enabled', false],
    ['network.captive-portal-service.enabled', false],
    ['network.connectivity-service.enabled', false],
    ['browser.safebrowsing.downloads.remote.enabled', false],
    ['network.prefetch-next', false],
    ['network.dns.disablePrefetch', true],
    ['network.http.speculative-parallel-limit', 0],
    ['geo.enabled', false],
    ['dom.push.enabled', false],
    ['app.update.auto', false],
    ['privacy.resistFingerprinting', true],
  ];
  for (const [k, v] of want) assert.equal(p.get(k), v, k);
  // The proxy address itself lives only in the policies (one place, locked there).
  assert.ok(!/network\.proxy\.(socks|type)"/.test(prefsJs));
});

test('files land where Debian firefox-esr reads them', () => {
  assert.equal(BROWSER_FILES.policies, '/etc/firefox/policies/policies.json');
  assert.match(BROWSER_FILES.prefs, /^\/etc\/firefox-esr\/[a-z-]+\.js$/);
});

test('bad input names its field', () => {
  const cases: [unknown, RegExp][] = [
    [null, /input: must be an object/],
    [{ gatewayAddr: '10.152.152' }, /gatewayAddr: '10\.152\.152' is not an IPv4 address/],
    [{ gatewayAddr: '10.152.152.10\n' }, /gatewayAddr: must not contain control characters/],
    [{ gatewayAddr: '10.152.152.10', socksPort: 9040 }, /socksPort: 9040 is not a SocksPort of the workstation's port plan/],
    [{ gatewayAddr: '10.152.152.10', socksPort: 9151 }, /socksPort: 9151 is not a SocksPort/],
    [{ gatewayAddr: '10.152.152.10', socksPort: 70000 }, /socksPort: must be an integer port/],
    [{ gatewayAddr: '10.152.152.10', socksPort: '9150' }, /socksPort: must be an integer port/],
  ];
  for (const [input, re] of cases) {
    assert.throws(
      () => browserConfig(input as never),
      (e: Error & { code?: string }) => re.test(e.message) && e.code === 'ERR_INVALID_VALUE',
      JSON.stringify(input),
    );
  }
});

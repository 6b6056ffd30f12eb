// The workstation browser's system-wide configuration (Firefox ESR): enterprise policies and locked prefs, from the gateway's address and the port plan.
import { BROWSER_SOCKS_PORT, WHONIX_SOCKS_PORTS } from './port-plan.js';
import { bad, ipv4, port } from './validate.js';

export interface BrowserConfigInput {
  /** The gateway's end of the workstation's link (Whonix: 10.152.152.10). */
  gatewayAddr: string;
  /** The facing SocksPort the browser uses; default Whonix's Tor Browser port, 9150. */
  socksPort?: number;
}

export interface BrowserConfig {
  /** Firefox enterprise policies: the proxy (locked) and the features that call home, off. */
  policiesJson: string;
  /** Debian's system prefs file (read from /etc/firefox-esr/*.js): every pref locked. */
  prefsJs: string;
}

/**
 * Where the files go inside the workstation. Firefox reads policies from SysConfD, which is /etc/firefox
 * (its lower-cased app name) even for Debian's firefox-esr; Debian adds /etc/firefox-esr/*.js as default prefs.
 */
export const BROWSER_FILES = {
  policies: '/etc/firefox/policies/policies.json',
  prefs: '/etc/firefox-esr/bulkhead-workstation.js',
} as const;

type PrefValue = boolean | number | string;

/**
 * Locked prefs, in groups. The proxy itself is in the policies (so a run that goes through the
 * browser's SocksPort shows the policies were read, and a probe of these prefs shows this file was).
 */
const PREFS: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, PrefValue]>]> = [
  [
    'Name resolution only through the proxy (Tor resolves at the exit); no DNS over HTTPS, no local lookups ahead of time',
    [
      ['network.proxy.socks_remote_dns', true],
      ['network.proxy.allow_hijacking_localhost', true],
      ['network.proxy.failover_direct', false],
      ['network.proxy.allow_bypass', false],
      ['network.trr.mode', 5],
      ['network.trr.uri', ''],
      ['network.trr.custom_uri', ''],
      ['network.dns.disablePrefetch', true],
      ['network.dns.disablePrefetchFromHTTPS', true],
      ['network.dns.disableIPv6', true],
      ['network.dns.echconfig.enabled', false],
      ['network.dns.http3_echconfig.enabled', false],
    ],
  ],
  [
    'No connection the user did not ask for: prefetch, speculative connections, captive portal and connectivity checks',
    [
      ['network.prefetch-next', false],
      ['network.predictor.enabled', false],
      ['network.predictor.enable-prefetch', false],
      ['network.http.speculative-parallel-limit', 0],
      ['browser.urlbar.speculativeConnect.enabled', false],
      ['browser.places.speculativeConnect.enabled', false],
      ['network.captive-portal-service.enabled', false],
      ['network.connectivity-service.enabled', false],
      ['browser.send_pings', false],
      ['beacon.enabled', false],
      ['network.http.http3.enable', false],
    ],
  ],
  [
    'WebRTC off: no peer connections, no local addresses through ICE, no camera or microphone',
    [
      ['media.peerconnection.enabled', false],
      ['media.peerconnection.ice.default_address_only', true],
      ['media.peerconnection.ice.no_host', true],
      ['media.peerconnection.ice.proxy_only', true],
      ['media.navigator.enabled', false],
      ['media.eme.enabled', false],
      ['media.gmp-gmpopenh264.enabled', false],
      ['media.gmp-widevinecdm.enabled', false],
    ],
  ],
  [
    'Telemetry, health reports, studies and crash reports off',
    [
      ['toolkit.telemetry.enabled', false],
      ['toolkit.telemetry.unified', false],
      ['toolkit.telemetry.archive.enabled', false],
      ['toolkit.telemetry.server', ''],
      ['toolkit.telemetry.newProfilePing.enabled', false],
      ['toolkit.telemetry.updatePing.enabled', false],
      ['toolkit.telemetry.shutdownPingSender.enabled', false],
      ['toolkit.telemetry.firstShutdownPing.enabled', false],
      ['toolkit.telemetry.bhrPing.enabled', false],
      ['toolkit.coverage.opt-out', true],
      ['toolkit.coverage.endpoint.base', ''],
      ['datareporting.healthreport.uploadEnabled', false],
      ['datareporting.policy.dataSubmissionEnabled', false],
      ['datareporting.usage.uploadEnabled', false],
      ['app.shield.optoutstudies.enabled', false],
      ['app.normandy.enabled', false],
      ['app.normandy.api_url', ''],
      ['breakpad.reportURL', ''],
      ['browser.tabs.crashReporting.sendReport', false],
      ['browser.crashReports.unsubmittedCheck.autoSubmit2', false],
      ['browser.newtabpage.activity-stream.feeds.telemetry', false],
      ['browser.newtabpage.activity-stream.telemetry', false],
      ['browser.ping-centre.telemetry', false],
    ],
  ],
  [
    'Safe Browsing and tracking-protection list lookups off (remote lookups would name the pages visited)',
    [
      ['browser.safebrowsing.malware.enabled', false],
      ['browser.safebrowsing.phishing.enabled', false],
      ['browser.safebrowsing.blockedURIs.enabled', false],
      ['browser.safebrowsing.downloads.enabled', false],
      ['browser.safebrowsing.downloads.remote.enabled', false],
      ['browser.safebrowsing.downloads.remote.url', ''],
      ['browser.safebrowsing.provider.google.updateURL', ''],
      ['browser.safebrowsing.provider.google.gethashURL', ''],
      ['browser.safebrowsing.provider.google4.updateURL', ''],
      ['browser.safebrowsing.provider.google4.gethashURL', ''],
      ['browser.safebrowsing.provider.mozilla.updateURL', ''],
      ['browser.safebrowsing.provider.mozilla.gethashURL', ''],
      ['privacy.trackingprotection.enabled', false],
      ['privacy.trackingprotection.pbmode.enabled', false],
      ['privacy.trackingprotection.fingerprinting.enabled', false],
      ['privacy.trackingprotection.cryptomining.enabled', false],
      ['privacy.trackingprotection.socialtracking.enabled', false],
      ['privacy.trackingprotection.emailtracking.enabled', false],
      ['privacy.trackingprotection.emailtracking.pbmode.enabled', false],
      ['privacy.trackingprotection.annotate_channels', false],
      ['privacy.annotate_channels.strict_list.enabled', false],
      ['privacy.socialtracking.block_cookies.enabled', false],
    ],
  ],
  [
    "Mozilla's Remote Settings lists that Firefox otherwise fetches at the first page (query stripping, permissions, classifier exceptions)",
    [
      ['privacy.query_stripping.enabled', false],
      ['privacy.query_stripping.enabled.pbmode', false],
      ['privacy.query_stripping.strip_on_share.enabled', false],
      ['permissions.manager.remote.enabled', false],
      ['privacy.fingerprintingProtection.remoteOverrides.enabled', false],
      ['privacy.trackingprotection.consentmanager.skip.enabled', false],
      ['privacy.trackingprotection.consentmanager.skip.pbmode.enabled', false],
    ],
  ],
  [
    'Location, push, notifications, region lookups and updates off',
    [
      ['geo.enabled', false],
      ['geo.provider.network.url', ''],
      ['geo.provider.use_gpsd', false],
      ['geo.provider.use_geoclue', false],
      ['browser.region.network.url', ''],
      ['browser.region.update.enabled', false],
      ['dom.push.enabled', false],
      ['dom.push.serverURL', ''],
      ['dom.webnotifications.enabled', false],
      ['app.update.auto', false],
      ['extensions.update.enabled', false],
      ['extensions.getAddons.cache.enabled', false],
      ['extensions.systemAddon.update.enabled', false],
      ['browser.search.update', false],
      ['browser.topsites.contile.enabled', false],
      ['extensions.pocket.enabled', false],
    ],
  ],
  [
    'No first-run, what is new or default-browser pages',
    [
      ['browser.startup.homepage_override.mstone', 'ignore'],
      ['startup.homepage_welcome_url', ''],
      ['startup.homepage_welcome_url.additional', ''],
      ['startup.homepage_override_url', ''],
      ['browser.aboutwelcome.enabled', false],
      ['trailhead.firstrun.didSeeAboutWelcome', true],
      ['datareporting.policy.firstRunURL', ''],
      ['browser.shell.checkDefaultBrowser', false],
      ['browser.disableResetPrompt', true],
    ],
  ],
  [
    "Whonix-like: one look for every workstation (Tor Browser's fingerprinting resistance, as far as Firefox has it), nothing kept on disk",
    [
      ['privacy.resistFingerprinting', true],
      ['privacy.firstparty.isolate', true],
      ['privacy.spoof_english', 2],
      ['intl.accept_languages', 'en-US, en'],
      ['javascript.use_us_english_locale', true],
      ['webgl.disabled', true],
      ['dom.battery.enabled', false],
      ['media.video_stats.enabled', false],
      ['browser.privatebrowsing.autostart', true],
      ['browser.cache.disk.enable', false],
      ['browser.formfill.enable', false],
      ['signon.rememberSignons', false],
      ['network.IDN_show_punycode', true],
    ],
  ],
];

/** The facing SocksPort of the browser: one of Whonix's SocksPorts (so the plan gives it a listener on every workstation). */
function browserPort(v: unknown): number {
  const p = port('socksPort', v);
  if (!WHONIX_SOCKS_PORTS.some((s) => s.port === p)) throw bad('socksPort', `${p} is not a SocksPort of the workstation's port plan`);
  return p;
}

function policies(gatewayAddr: string, socksPort: number): unknown {
  return {
    policies: {
      Proxy: {
        Mode: 'manual',
        Locked: true,
        SOCKSProxy: `${gatewayAddr}:${socksPort}`,
        SOCKSVersion: 5,
        UseProxyForDNS: true,
        Passthrough: '',
        HTTPProxy: '',
        SSLProxy: '',
        UseHTTPProxyForAllProtocols: false,
      },
      DNSOverHTTPS: { Enabled: false, Fallback: false, Locked: true },
      CaptivePortal: false,
      NetworkPrediction: false,
      DisableTelemetry: true,
      DisableFirefoxStudies: true,
      DisableFeedbackCommands: true,
      DisablePocket: true,
      DisableFirefoxAccounts: true,
      DisableAppUpdate: true,
      DisableSystemAddonUpdate: true,
      ExtensionUpdate: false,
      DisableProfileImport: true,
      DontCheckDefaultBrowser: true,
      OverrideFirstRunPage: '',
      OverridePostUpdatePage: '',
      NoDefaultBookmarks: true,
      OfferToSaveLogins: false,
      PasswordManagerEnabled: false,
      SearchSuggestEnabled: false,
      EncryptedMediaExtensions: { Enabled: false, Locked: true },
      HardwareAcceleration: false,
      FirefoxHome: {
        Search: false,
        TopSites: false,
        SponsoredTopSites: false,
        Highlights: false,
        Pocket: false,
        SponsoredPocket: false,
        Snippets: false,
        Locked: true,
      },
      FirefoxSuggest: { WebSuggestions: false, SponsoredSuggestions: false, ImproveSuggest: false, Locked: true },
      UserMessaging: {
        WhatsNew: false,
        ExtensionRecommendations: false,
        FeatureRecommendations: false,
        UrlbarInterventions: false,
        SkipOnboarding: true,
        MoreFromMozilla: false,
        Locked: true,
      },
    },
  };
}

function prefsText(): string {
  const out = ['// Written by bulkhead at each start of this workstation (mounted read-only): the browser behind the gateway.', ''];
  for (const [why, prefs] of PREFS) {
    out.push(`// ${why}`);
    for (const [name, value] of prefs) out.push(`pref(${JSON.stringify(name)}, ${JSON.stringify(value)}, locked);`);
    out.push('');
  }
  return out.join('\n');
}

/** The browser's configuration for a workstation whose gateway is at `gatewayAddr`. Throws naming the bad field. */
export function browserConfig(input: BrowserConfigInput): BrowserConfig {
  if (input === null || typeof input !== 'object') throw bad('input', 'must be an object');
  const gatewayAddr = ipv4('gatewayAddr', input.gatewayAddr);
  const socksPort = browserPort(input.socksPort ?? BROWSER_SOCKS_PORT);
  return { policiesJson: JSON.stringify(policies(gatewayAddr, socksPort), null, 2) + '\n', prefsJs: prefsText() };
}

/** Every locked pref and its value (for tests and docs). */
export function lockedPrefs(): ReadonlyMap<string, PrefValue> {
  return new Map(PREFS.flatMap(([, p]) => p));
}

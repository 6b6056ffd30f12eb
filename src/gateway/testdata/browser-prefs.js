// Written by bulkhead at each start of this workstation (mounted read-only): the browser behind the gateway.

// Name resolution only through the proxy (Tor resolves at the exit); no DNS over HTTPS, no local lookups ahead of time
pref("network.proxy.socks_remote_dns", true, locked);
pref("network.proxy.allow_hijacking_localhost", true, locked);
pref("network.proxy.failover_direct", false, locked);
pref("network.proxy.allow_bypass", false, locked);
pref("network.trr.mode", 5, locked);
pref("network.trr.uri", "", locked);
pref("network.trr.custom_uri", "", locked);
pref("network.dns.disablePrefetch", true, locked);
pref("network.dns.disablePrefetchFromHTTPS", true, locked);
pref("network.dns.disableIPv6", true, locked);
pref("network.dns.echconfig.enabled", false, locked);
pref("network.dns.http3_echconfig.enabled", false, locked);

// No connection the user did not ask for: prefetch, speculative connections, captive portal and connectivity checks
pref("network.prefetch-next", false, locked);
pref("network.predictor.enabled", false, locked);
pref("network.predictor.enable-prefetch", false, locked);
pref("network.http.speculative-parallel-limit", 0, locked);
pref("browser.urlbar.speculativeConnect.enabled", false, locked);
pref("browser.places.speculativeConnect.enabled", false, locked);
pref("network.captive-portal-service.enabled", false, locked);
pref("network.connectivity-service.enabled", false, locked);
pref("browser.send_pings", false, locked);
pref("beacon.enabled", false, locked);
pref("network.http.http3.enable", false, locked);

// WebRTC off: no peer connections, no local addresses through ICE, no camera or microphone
pref("media.peerconnection.enabled", false, locked);
pref("media.peerconnection.ice.default_address_only", true, locked);
pref("media.peerconnection.ice.no_host", true, locked);
pref("media.peerconnection.ice.proxy_only", true, locked);
pref("media.navigator.enabled", false, locked);
pref("media.eme.enabled", false, locked);
pref("media.gmp-gmpopenh264.enabled", false, locked);
pref("media.gmp-widevinecdm.enabled", false, locked);

// Telemetry, health reports, studies and crash reports off
pref("toolkit.telemetry.enabled", false, locked);
pref("toolkit.telemetry.unified", false, locked);
pref("toolkit.telemetry.archive.enabled", false, locked);
pref("toolkit.telemetry.server", "", locked);
pref("toolkit.telemetry.newProfilePing.enabled", false, locked);
pref("toolkit.telemetry.updatePing.enabled", false, locked);
pref("toolkit.telemetry.shutdownPingSender.enabled", false, locked);
pref("toolkit.telemetry.firstShutdownPing.enabled", false, locked);
pref("toolkit.telemetry.bhrPing.enabled", false, locked);
pref("toolkit.coverage.opt-out", true, locked);
pref("toolkit.coverage.endpoint.base", "", locked);
pref("datareporting.healthreport.uploadEnabled", false, locked);
pref("datareporting.policy.dataSubmissionEnabled", false, locked);
pref("datareporting.usage.uploadEnabled", false, locked);
pref("app.shield.optoutstudies.enabled", false, locked);
pref("app.normandy.enabled", false, locked);
pref("app.normandy.api_url", "", locked);
pref("breakpad.reportURL", "", locked);
pref("browser.tabs.crashReporting.sendReport", false, locked);
pref("browser.crashReports.unsubmittedCheck.autoSubmit2", false, locked);
pref("browser.newtabpage.activity-stream.feeds.telemetry", false, locked);
pref("browser.newtabpage.activity-stream.telemetry", false, locked);
pref("browser.ping-centre.telemetry", false, locked);

// Safe Browsing and tracking-protection list lookups off (remote lookups would name the pages visited)
pref("browser.safebrowsing.malware.enabled", false, locked);
pref("browser.safebrowsing.phishing.enabled", false, locked);
pref("browser.safebrowsing.blockedURIs.enabled", false, locked);
pref("browser.safebrowsing.downloads.enabled", false, locked);
pref("browser.safebrowsing.downloads.remote.enabled", false, locked);
pref("browser.safebrowsing.downloads.remote.url", "", locked);
pref("browser.safebrowsing.provider.google.updateURL", "", locked);
pref("browser.safebrowsing.provider.google.gethashURL", "", locked);
pref("browser.safebrowsing.provider.google4.updateURL", "", locked);
pref("browser.safebrowsing.provider.google4.gethashURL", "", locked);
pref("browser.safebrowsing.provider.mozilla.updateURL", "", locked);
pref("browser.safebrowsing.provider.mozilla.gethashURL", "", locked);
pref("privacy.trackingprotection.enabled", false, locked);
pref("privacy.trackingprotection.pbmode.enabled", false, locked);
pref("privacy.trackingprotection.fingerprinting.enabled", false, locked);
pref("privacy.trackingprotection.cryptomining.enabled", false, locked);
pref("privacy.trackingprotection.socialtracking.enabled", false, locked);
pref("privacy.trackingprotection.emailtracking.enabled", false, locked);
pref("privacy.trackingprotection.emailtracking.pbmode.enabled", false, locked);
pref("privacy.trackingprotection.annotate_channels", false, locked);
pref("privacy.annotate_channels.strict_list.enabled", false, locked);
pref("privacy.socialtracking.block_cookies.enabled", false, locked);

// Mozilla's Remote Settings lists that Firefox otherwise fetches at the first page (query stripping, permissions, classifier exceptions)
pref("privacy.query_stripping.enabled", false, locked);
pref("privacy.query_stripping.enabled.pbmode", false, locked);
pref("privacy.query_stripping.strip_on_share.enabled", false, locked);
pref("permissions.manager.remote.enabled", false, locked);
pref("privacy.fingerprintingProtection.remoteOverrides.enabled", false, locked);
pref("privacy.trackingprotection.consentmanager.skip.enabled", false, locked);
pref("privacy.trackingprotection.consentmanager.skip.pbmode.enabled", false, locked);

// Location, push, notifications, region lookups and updates off
pref("geo.enabled", false, locked);
pref("geo.provider.network.url", "", locked);
pref("geo.provider.use_gpsd", false, locked);
pref("geo.provider.use_geoclue", false, locked);
pref("browser.region.network.url", "", locked);
pref("browser.region.update.enabled", false, locked);
pref("dom.push.enabled", false, locked);
pref("dom.push.serverURL", "", locked);
pref("dom.webnotifications.enabled", false, locked);
pref("app.update.auto", false, locked);
pref("extensions.update.enabled", false, locked);
pref("extensions.getAddons.cache.enabled", false, locked);
pref("extensions.systemAddon.update.enabled", false, locked);
pref("browser.search.update", false, locked);
pref("browser.topsites.contile.enabled", false, locked);
pref("extensions.pocket.enabled", false, locked);

// No first-run, what is new or default-browser pages
pref("browser.startup.homepage_override.mstone", "ignore", locked);
pref("startup.homepage_welcome_url", "", locked);
pref("startup.homepage_welcome_url.additional", "", locked);
pref("startup.homepage_override_url", "", locked);
pref("browser.aboutwelcome.enabled", false, locked);
pref("trailhead.firstrun.didSeeAboutWelcome", true, locked);
pref("datareporting.policy.firstRunURL", "", locked);
pref("browser.shell.checkDefaultBrowser", false, locked);
pref("browser.disableResetPrompt", true, locked);

// Whonix-like: one look for every workstation (Tor Browser's fingerprinting resistance, as far as Firefox has it), nothing kept on disk
pref("privacy.resistFingerprinting", true, locked);
pref("privacy.firstparty.isolate", true, locked);
pref("privacy.spoof_english", 2, locked);
pref("intl.accept_languages", "en-US, en", locked);
pref("javascript.use_us_english_locale", true, locked);
pref("webgl.disabled", true, locked);
pref("dom.battery.enabled", false, locked);
pref("media.video_stats.enabled", false, locked);
pref("browser.privatebrowsing.autostart", true, locked);
pref("browser.cache.disk.enable", false, locked);
pref("browser.formfill.enable", false, locked);
pref("signon.rememberSignons", false, locked);
pref("network.IDN_show_punycode", true, locked);

// A gateway's network profile on the admin side (pure): which one it uses, whether this build may start it, which check rows need the lab.
import { effective, type QubeRecord, type SystemView } from '../../model/index.js';
import type { TorNetwork } from '../../gateway/index.js';

/** The gateway's profile (property tor_network); anything unexpected reads as `public`, which is never started. */
export function gatewayNetwork(sys: SystemView, gw: QubeRecord): TorNetwork {
  return effective(gw, 'tor_network', sys) === 'lab' ? 'lab' : 'public';
}

/**
 * Why this build must not start tor in a gateway with this profile behind this uplink, or null when it may.
 * The public profile is never started here: behind the lab it would try to reach the real Tor network from
 * the sealed lab (and could never work there); on any other uplink this build has no tested path for it.
 * The lab profile never runs behind a real uplink (its authorities are lab addresses).
 */
export function startRefusal(gateway: string, network: TorNetwork, uplink: string | null): string | null {
  if (network === 'public') {
    if (uplink === 'lab') {
      return (
        `gateway '${gateway}' has the network profile public (the real Tor network) but its uplink is the lab: ` +
        'it would try to reach the public Tor network from the sealed lab, where it can never work; ' +
        `use the lab profile there (bulkhead prefs ${gateway} tor_network lab)`
      );
    }
    return (
      `gateway '${gateway}' has the network profile public: this build never starts tor on the public Tor network ` +
      '(its torrc is only checked with tor --verify-config)'
    );
  }
  if (uplink !== null && uplink !== 'lab') {
    return `gateway '${gateway}' has the network profile lab but its uplink is '${uplink}': the lab's Tor network is reachable only behind the lab uplink`;
  }
  return null;
}

/** Rows of `bulkhead check`; `lab` rows need the lab (its web, DNS and onion hosts, its packet observer). */
export const CHECK_ROWS: ReadonlyArray<{ id: string; title: string; lab: boolean }> = [
  { id: 'tor-bootstrapped', title: 'tor in the gateway has bootstrapped', lab: false },
  { id: 'lab-observer', title: 'packet counters in the lab hosts', lab: true },
  { id: 'trans-lab-page', title: 'lab page through the transparent proxy', lab: true },
  { id: 'trans-onion-page', title: 'onion page through the transparent proxy', lab: true },
  { id: 'socks-lab-page', title: 'lab page through SOCKS', lab: true },
  { id: 'socks-onion-page', title: 'onion page through SOCKS', lab: true },
  { id: 'dns-via-tor', title: 'DNS answered through Tor (gateway DNSPort, resolved by an exit)', lab: true },
  { id: 'stream-isolation', title: 'two SOCKS usernames get two circuits', lab: true },
  { id: 'identity-hostname', title: "the workstation's hostname", lab: false },
  { id: 'identity-machine-id', title: "/etc/machine-id is Whonix's fixed value", lab: false },
  { id: 'identity-timezone', title: 'the timezone', lab: false },
  { id: 'identity-user', title: "the workstation's user", lab: false },
  { id: 'identity-address', title: "the workstation's address and route", lab: false },
  { id: 'direct-tcp-proxied', title: 'TCP to a lab address leaves through a Tor exit', lab: true },
  { id: 'direct-udp-icmp-blocked', title: 'UDP and ICMP to lab hosts get no answer', lab: true },
  { id: 'lab-saw-only-tor', title: 'the lab hosts saw only Tor relays during the check', lab: true },
];

export function isLabRow(id: string): boolean {
  return CHECK_ROWS.some((r) => r.id === id && r.lab);
}

/** Why the lab rows of `check` are skipped for a gateway with this profile, or null when they run. */
export function labRowsSkipReason(network: TorNetwork): string | null {
  return network === 'lab' ? null : `needs the lab (its web, DNS and onion hosts and packet observer); the gateway's network profile is ${network}`;
}

// Input and plan types of the Tor gateway: what a gateway is told, and the listeners it derives.

/**
 * The gateway's network profile: which Tor network it joins. `lab` is the sealed lab network (its own
 * directory authorities, TestingTorNetwork); `public` the real Tor network (users' machines only, never
 * started by this project). Only the authority section of the torrc differs between them.
 */
export type TorNetwork = 'lab' | 'public';
export const TOR_NETWORKS: readonly TorNetwork[] = ['lab', 'public'];

/** One workstation's own point-to-point link to the gateway. */
export interface WorkstationLink {
  /** Qube name of the workstation (for comments, logs and counter names). */
  name: string;
  /** Gateway-side interface name of this workstation's link. */
  ifname: string;
  /** Gateway end of the link (IPv4); Whonix uses 10.152.152.10 on every link. */
  gatewayAddr: string;
  /** Workstation end of the link (IPv4); Whonix uses 10.152.152.11 on every link. */
  workstationAddr: string;
  /**
   * The workstation's listener block, kept by the qube for as long as it stays behind this gateway
   * (never its position in the list): adding or removing another workstation moves no listener.
   */
  slot: number;
}

/** Where tor's own (unfiltered) control interface is. */
export type TorControl = { host: string; port: number } | { socketPath: string };

export interface GatewayInput {
  network: TorNetwork;
  workstations: WorkstationLink[];
  /**
   * Bridge lines, with or without the `Bridge ` keyword: `obfs4 ADDR:PORT FINGERPRINT cert=BASE64 iat-mode=N`
   * or `ADDR:PORT [FINGERPRINT]` (ADDR IPv4 or [IPv6]); see bridges.ts.
   */
  bridges?: string[];
  /** Lab directory authorities (`NICK orport=N v3ident=HEX ADDR:DIRPORT FINGERPRINT`); required for `lab`, refused for `public`. */
  dirAuthorities?: string[];
  /** tor's DataDirectory inside the gateway qube. */
  dataDir: string;
  /** tor's ControlPort (default 127.0.0.1:9052, as Whonix) or a unix ControlSocket. */
  control?: TorControl;
  /**
   * `HashedControlPassword` for tor's ControlPort (`16:…`, see control-password.ts). The admin keeps
   * the password; nothing on the admin side ever reads a file of the gateway to authenticate.
   */
  controlPasswordHash: string;
  /** User tor switches to when started as root (`User`); omit when tor starts as that user. */
  user?: string;
  /** Numeric uid tor runs as; the only uid allowed to send on the uplink. */
  torUid: number;
  /** Uplink interface of the gateway (towards its netvm). */
  uplink: string;
  /** Empty file used as GeoIPFile/GeoIPv6File (no GeoIP database loaded). */
  geoipFile: string;
  /** Path of obfs4proxy (default /usr/bin/obfs4proxy). */
  obfs4proxyPath?: string;
  /** PID of the controlling process; tor exits when it dies (`__OwningControllerProcess`). */
  owningPid?: number;
  /** tor's Log line (default `notice stdout`). */
  log?: string;
  /** First internal listener port (default 20000); the workstation in slot k uses portBase + 200·k … + 199. */
  portBase?: number;
  /** nft table name (default `bulkhead_gw`). */
  tableName?: string;
}

export type ListenerKind = 'trans' | 'dns' | 'control' | 'socks';

/** One listener of one workstation: the port the workstation uses, and the port tor (or the filter) binds. */
export interface Listener {
  kind: ListenerKind;
  /** Port the workstation connects to (Whonix's number; the same for every workstation). */
  facingPort: number;
  /** Port bound on the gateway address (unique per workstation). */
  port: number;
  /** tor isolation flags written after the address. */
  flags: readonly string[];
  /** What the port is for (Whonix's port plan). */
  purpose: string;
}

export interface WorkstationPlan extends WorkstationLink {
  /** Index in the input list. */
  index: number;
  /** Connection mark (and routing table offset) that ties replies to this link: slot + 1, so it never moves either. */
  mark: number;
  listeners: Listener[];
}

export interface GatewayPlan {
  workstations: WorkstationPlan[];
  /** Where the control-port filter reaches tor. */
  torControl: TorControl;
}

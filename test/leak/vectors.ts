// The leak-test vectors in the order they run: what each tries, and whether the attacker or the host side does it.

/** Addresses of the chain around the workstation, read from the running system. */
export interface ChainAddrs {
  gwUplink: string;
  firewall: string;
  sysnet: string;
  sysnetUplink: string;
  routerUplink: string;
}

export type HostAction = 'qube-root' | 'ws-firewall-off' | 'ipv6-on' | 'control-effects' | 'stop-tor';

export interface Step {
  name: string;
  tried: string;
  /** A command for the attacker inside the workstation... */
  op?: string;
  args?: Record<string, unknown>;
  /** ...or an action the suite does from the host (first, when both are given). */
  host?: HostAction;
}

const WEB = '192.0.2.10',
  OTHER = '192.0.2.20',
  DNS = '192.0.2.53',
  ROUTER = '192.0.2.1',
  GW = '10.152.152.10';
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

const CONTROL_READ = [
  'GETINFO address',
  'GETINFO fingerprint',
  'GETINFO config-text',
  'GETINFO config-file',
  'GETINFO net/listeners/control',
  'GETINFO circuit-status',
  'GETINFO stream-status',
  'GETINFO orconn-status',
  'GETINFO entry-guards',
  'GETINFO ns/all',
  'GETINFO address-mappings/all',
  'GETINFO process/pid',
  'GETINFO process/user',
  'GETINFO onions/current',
  'GETCONF ControlPort',
  'GETCONF SocksPort',
  'GETCONF DataDirectory',
  'GETCONF Bridge',
  'getinfo address',
  'GETINFO  address',
  'GETINFO status/circuit-established address',
  'GETINFO version address',
];

const CONTROL_WRITE = [
  'SETCONF SocksPort=0.0.0.0:9999',
  'SETCONF ExitNodes=203.0.113.21',
  'RESETCONF SocksPort',
  'SAVECONF',
  'LOADCONF SocksPort 0',
  'ADD_ONION NEW:BEST Port=80,127.0.0.1:9052',
  'ADD_ONION NEW:ED25519-V3 Flags=Detach Port=22,10.152.152.10:22',
  'DEL_ONION abc',
  'MAPADDRESS 10.40.40.40=web.lab.test',
  'EXTENDCIRCUIT 0',
  'ATTACHSTREAM 1 1',
  'REDIRECTSTREAM 1 192.0.2.10',
  'CLOSECIRCUIT 1',
  'CLOSESTREAM 1 1',
  'TAKEOWNERSHIP',
  'DROPOWNERSHIP',
  'DROPGUARDS',
  'DROPTIMEOUTS',
  'RESOLVE web.lab.test',
  'HSFETCH abc',
  'POSTDESCRIPTOR',
  'USEFEATURE VERBOSE_NAMES',
  'SETCIRCUITPURPOSE 1 purpose=general',
  'SETEVENTS STREAM ADDRMAP',
  'SIGNAL HALT',
  'SIGNAL SHUTDOWN',
  'SIGNAL DUMP',
  'SIGNAL RELOAD',
  'SIGNAL DEBUG',
  'SIGNAL CLEARDNSCACHE',
  'SIGNAL NEWNYM extra',
  'AUTHCHALLENGE SAFECOOKIE 00',
  'ONION_CLIENT_AUTH_ADD x x25519:abc',
];

export function steps(c: ChainAddrs): Step[] {
  const qubeAddrs = [c.gwUplink, c.firewall, c.sysnet, '10.138.0.2'];
  return [
    { name: 'qube-root-caps', tried: 'root in the qube with leaktest.caps (NET_RAW, NET_ADMIN): raw socket, AF_PACKET, ip addr add, ping', host: 'qube-root' },
    { name: 'ws-firewall-off', tried: "flush the workstation's own nft ruleset: from here on only the gateway stands", host: 'ws-firewall-off' },
    { name: 'ipproto-web-0-63', tried: 'raw IPv4, protocol numbers 0-63, to web 192.0.2.10', op: 'rawproto', args: { from: 0, to: 63, dst: WEB } },
    { name: 'ipproto-web-64-127', tried: 'raw IPv4, protocol numbers 64-127, to web', op: 'rawproto', args: { from: 64, to: 127, dst: WEB } },
    { name: 'ipproto-web-128-191', tried: 'raw IPv4, protocol numbers 128-191, to web', op: 'rawproto', args: { from: 128, to: 191, dst: WEB } },
    { name: 'ipproto-web-192-255', tried: 'raw IPv4, protocol numbers 192-255, to web', op: 'rawproto', args: { from: 192, to: 255, dst: WEB } },
    {
      name: 'ipproto-gw-0-255',
      tried: 'raw IPv4, all 256 protocol numbers, to the gateway 10.152.152.10',
      op: 'rawproto',
      args: { from: 0, to: 255, dst: GW },
    },
    {
      name: 'ipproto-dns-0-255',
      tried: 'raw IPv4, all 256 protocol numbers, to the lab resolver 192.0.2.53',
      op: 'rawproto',
      args: { from: 0, to: 255, dst: DNS },
    },
    {
      name: 'tcp-web',
      tried: 'TCP to web by address: 80 (GET /ip), 443, 22, 8080, 25',
      op: 'tcp_hosts',
      args: {
        targets: [
          [WEB, 80],
          [WEB, 443],
          [WEB, 22],
          [WEB, 8080],
          [WEB, 25],
        ],
      },
    },
    {
      name: 'tcp-lab-hosts',
      tried: 'TCP to other 192.0.2.20:80,443, dns 192.0.2.53:53, router 192.0.2.1:22',
      op: 'tcp_hosts',
      args: {
        targets: [
          [OTHER, 80],
          [OTHER, 443],
          [DNS, 53],
          [ROUTER, 22],
        ],
      },
    },
    {
      name: 'tcp-foreign-and-relays',
      tried: 'TCP to 8.8.8.8:443, 1.1.1.1:80 and straight to relay ORPort/DirPort 203.0.113.21:5103, 203.0.113.11:5200',
      op: 'tcp_hosts',
      args: {
        targets: [
          ['8.8.8.8', 443],
          ['1.1.1.1', 80],
          ['203.0.113.21', 5103],
          ['203.0.113.11', 5200],
        ],
      },
    },
    {
      name: 'udp-lab-hosts',
      tried: 'UDP to web :80 :443 :5000, other :1234, router :9',
      op: 'udp',
      args: {
        targets: [
          [WEB, 80],
          [WEB, 443],
          [WEB, 5000],
          [OTHER, 1234],
          [ROUTER, 9],
        ],
      },
    },
    {
      name: 'udp53-lab-resolver',
      tried: 'DNS query over UDP/53 straight to the lab resolver 192.0.2.53',
      op: 'dns',
      args: { servers: [DNS], names: ['web.lab.test', 'other.lab.test'] },
    },
    {
      name: 'udp53-raw',
      tried: 'hand-made UDP/53 packets (raw socket) to 192.0.2.53, the gateway and 8.8.8.8',
      op: 'raw_dns',
      args: { servers: [DNS, GW, '8.8.8.8'] },
    },
    {
      name: 'udp53-foreign',
      tried: 'DNS to 8.8.8.8, 1.1.1.1, 9.9.9.9 (nothing routes there)',
      op: 'dns',
      args: { servers: ['8.8.8.8', '1.1.1.1', '9.9.9.9'], names: ['web.lab.test'] },
    },
    {
      name: 'icmp-echo-lab',
      tried: 'ICMP echo to web, other, dns, router, the router uplink end',
      op: 'ping',
      args: { targets: [WEB, OTHER, DNS, ROUTER, c.routerUplink] },
    },
    { name: 'icmp-echo-gw', tried: 'ICMP echo to the gateway', op: 'ping', args: { targets: [GW] } },
    {
      name: 'icmp-other-types',
      tried: 'ICMP timestamp, info, mask, redirect, unreachable, router solicitation to web and gateway',
      op: 'ping',
      args: {
        targets: [WEB, GW],
        types: [
          [13, 0, '00010001'],
          [15, 0, '00010001'],
          [17, 0, '00010001'],
          [5, 1, 'c000020a'],
          [3, 3, '00000000'],
          [10, 0, '00000000'],
        ],
      },
    },
    {
      name: 'ipv6-on',
      tried: 'sysctl disable_ipv6=0 on eth0; ICMPv6 echo/RS to ff02::1, ff02::2, fe80:: of the gateway; TCP/UDP over IPv6',
      host: 'ipv6-on',
      op: 'ipv6',
    },
    { name: 'ipv6-l2-frames', tried: 'IPv6 frames written onto the link: ICMPv6 and TCP SYN to the gateway MAC and all-nodes', op: 'ipv6_l2' },
    { name: 'multicast', tried: 'UDP to 224.0.0.1, 224.0.0.251:5353, 239.255.255.250:1900, 239.1.2.3, LLMNR; IGMP join and reports', op: 'multicast' },
    { name: 'broadcast', tried: 'UDP to 255.255.255.255 (67, 137), subnet broadcasts; raw and L2 broadcast', op: 'broadcast' },
    {
      name: 'spoof-src-qubes',
      tried: 'raw TCP/UDP/ICMP to web and gateway from 10.137.0.x (gateway uplink, sys-firewall, sys-net) and 10.138.0.2',
      op: 'spoof',
      args: { sources: qubeAddrs, targets: [WEB, GW] },
    },
    {
      name: 'spoof-src-gateway',
      tried: 'raw packets to web claiming the gateway 10.152.152.10, 127.0.0.1 and 0.0.0.0',
      op: 'spoof',
      args: { sources: [GW, '127.0.0.1', '0.0.0.0'], targets: [WEB, DNS] },
    },
    {
      name: 'spoof-src-lab',
      tried: 'raw packets to web claiming other 192.0.2.20, sys-net uplink, a relay 203.0.113.21',
      op: 'spoof',
      args: { sources: [OTHER, c.sysnetUplink, '203.0.113.21'], targets: [WEB, GW] },
    },
    {
      name: 'own-address-change',
      tried: 'ip addr add 10.152.152.12, 10.137.0.50, the gateway uplink, 192.0.2.99 and connect from each; replace own address',
      op: 'own_addr',
    },
    { name: 'route-change', tried: 'ip route 192.0.2.0/24 dev eth0, via sys-firewall, via sys-net uplink, via router; default dev eth0', op: 'route' },
    {
      name: 'arp-change',
      tried: "ip neigh replace the gateway's MAC, static neighbour for 192.0.2.10 on eth0; gratuitous ARP for others' addresses",
      op: 'arp',
    },
    { name: 'l2-handmade-ipv4', tried: 'IPv4 frames built by hand to the gateway MAC, broadcast and a made-up MAC; LLDP, VLAN, PPPoE frames', op: 'l2_ip' },
    { name: 'gw-tcp-1-1024', tried: 'TCP connect scan of the gateway, ports 1-1024', op: 'scan', args: { from: 1, to: 1024 } },
    {
      name: 'gw-tcp-20000-20400',
      tried: "TCP to the gateway's internal listener ports 20000-20400 (other workstations' blocks); SOCKS greeting",
      op: 'scan',
      args: { from: 20000, to: 20400, socks: true, own_from: 20200, own_to: 20399 },
    },
    {
      name: 'gw-udp-ports',
      tried: 'UDP to the gateway ports 1-1024, 9040-9200, 20000-20400',
      op: 'udp',
      args: { targets: [...range(1, 1024), ...range(9040, 9200), ...range(20000, 20400)].map((p) => [GW, p]) },
    },
    {
      name: 'tor-control-9052',
      tried: "tor's real control port: 10.152.152.10:9052, the filter's internal ports; raw SYN to 127.0.0.1:9052",
      op: 'tor_control',
      args: { ports: [9052, 20251, 20051] },
    },
    {
      name: 'control-read',
      tried: `control filter 9051: ${CONTROL_READ.length} reading commands (GETINFO address, GETCONF...)`,
      op: 'control',
      args: { commands: CONTROL_READ },
    },
    {
      name: 'control-write',
      tried: `control filter 9051: ${CONTROL_WRITE.length} changing commands (SETCONF, ADD_ONION, SIGNAL HALT...)`,
      op: 'control',
      args: { commands: CONTROL_WRITE },
    },
    {
      name: 'control-effects',
      tried: 'asked tor itself (host side): still running, SocksPort unchanged, no onion service, no mapping',
      host: 'control-effects',
    },
    { name: 'ntp-lab', tried: 'NTP (UDP 123) to web, other, dns, router', op: 'ntp', args: { targets: [WEB, OTHER, DNS, ROUTER] } },
    {
      name: 'ntp-pool-names',
      tried: 'resolve pool.ntp.org, 0.debian.pool.ntp.org, time.lab.test via the gateway, NTP to the answers',
      op: 'ntp',
      args: { names: ['pool.ntp.org', '0.debian.pool.ntp.org', 'time.lab.test'] },
    },
    {
      name: 'dns-rebind',
      tried: 'dig @10.152.152.10 for web/router/example.com, then TCP and UDP to the answer',
      op: 'rebind',
      args: { names: ['web.lab.test', 'router.lab.test', 'example.com', 'localhost'] },
    },
    {
      name: 'dns-malformed',
      tried: 'odd datagrams to the DNS port of the gateway: empty, 1, 2, 11 bytes, a pointer loop, oversized',
      op: 'dns_malformed',
      args: { server: GW },
    },
    {
      name: 'ip-fragments',
      tried: 'fragmented UDP/TCP (split, overlapping, tiny first fragment) to web and gateway',
      op: 'fragments',
      args: { targets: [WEB, GW] },
    },
    {
      name: 'tcp-odd-flags',
      tried: 'raw TCP with SYN+FIN, NULL, XMAS, SYN+RST, FIN, ACK, RST, all flags to web:80 and gateway:9050',
      op: 'tcp_flags',
      args: {
        targets: [
          [WEB, 80],
          [GW, 9050],
          [WEB, 443],
        ],
      },
    },
    { name: 'ip-options', tried: 'IPv4 with loose/strict source route via the gateway to web, record route; TTL 1', op: 'source_route' },
    { name: 'direct-qube-addrs', tried: "TCP/UDP/ICMP to the gateway's uplink, sys-firewall, sys-net, sys-net's uplink, the router", op: 'direct' },
    { name: 'second-link', tried: 'ip link add dummy, veth, macvlan/ipvlan on eth0, gre, vxlan, ipip; route the lab through each', op: 'links' },
    { name: 'long-connection', tried: 'a TCP connection to web:80 through the TransPort, left open', op: 'long_open' },
    { name: 'tor-stopped', tried: 'stop tor inside the gateway by its PID (SIGTERM) while that connection is open', host: 'stop-tor' },
    { name: 'fin-rst-after-tor', tried: 'write, FIN the open connection; hand-made FIN/RST-ACK on its 4-tuple; new TCP and DNS', op: 'long_close' },
    {
      name: 'tcp-after-tor',
      tried: 'with tor stopped: TCP to web:80, other:443, dns:53',
      op: 'tcp_hosts',
      args: {
        targets: [
          [WEB, 80],
          [OTHER, 443],
          [DNS, 53],
        ],
        timeout: 4,
      },
    },
    {
      name: 'dns-after-tor',
      tried: 'with tor stopped: DNS to the gateway, to 192.0.2.53 and 8.8.8.8',
      op: 'dns',
      args: { servers: [GW, DNS, '8.8.8.8'], names: ['web.lab.test'], timeout: 2 },
    },
    { name: 'icmp-after-tor', tried: 'with tor stopped: ICMP echo to web, other and the gateway', op: 'ping', args: { targets: [WEB, OTHER, GW] } },
    { name: 'ipproto-after-tor', tried: 'with tor stopped: all 256 protocol numbers to web', op: 'rawproto', args: { from: 0, to: 255, dst: WEB } },
  ];
}

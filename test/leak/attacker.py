# The leak-test attacker: runs as root inside a workstation and tries one vector per command line (JSON in, JSON out).
import ipaddress
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

GW = '10.152.152.10'
WS = '10.152.152.11'
WEB = '192.0.2.10'
OTHER = '192.0.2.20'
DNS = '192.0.2.53'
ROUTER = '192.0.2.1'
IF = 'eth0'
# Filled by the 'setup' command: the gateway's uplink address, sys-firewall's, sys-net's, its uplink, the router's uplink end.
QUBES = {}


def sh(*argv, timeout=20):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    return r.returncode, (r.stdout + r.stderr).strip()


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip4(src, dst, proto, payload, ident=0x4242, frag=0, mf=False, ttl=64, options=b''):
    ihl = 5 + len(options) // 4
    flags = (0x2000 if mf else 0) | (frag & 0x1fff)
    hdr = struct.pack('!BBHHHBBH4s4s', (4 << 4) | ihl, 0, 20 + len(options) + len(payload), ident, flags, ttl, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst)) + options
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr + payload


def pseudo(src, dst, proto, seg):
    return struct.pack('!4s4sBBH', socket.inet_aton(src), socket.inet_aton(dst), 0, proto, len(seg))


def tcp(src, dst, sport, dport, flags, seq=1000, ack=0, payload=b''):
    seg = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    c = csum(pseudo(src, dst, 6, seg) + seg)
    return seg[:16] + struct.pack('!H', c) + seg[18:]


def udp(src, dst, sport, dport, payload):
    seg = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    c = csum(pseudo(src, dst, 17, seg) + seg) or 0xffff
    return seg[:6] + struct.pack('!H', c) + seg[8:]


def icmp(typ, code, rest=b'\0\0\0\0', payload=b'bulkhead-leaktest'):
    m = struct.pack('!BBH', typ, code, 0) + rest + payload
    return m[:2] + struct.pack('!H', csum(m)) + m[4:]


FIN, SYN, RST, PSH, ACK, URG = 1, 2, 4, 8, 16, 32


class Raw:
    """IPv4 with our own header (IP_HDRINCL): any protocol, any source, any fragment."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.sent = 0
        self.errors = {}

    def send(self, pkt, dst):
        try:
            self.s.sendto(pkt, (dst, 0))
            self.sent += 1
        except OSError as e:
            self.errors[e.strerror] = self.errors.get(e.strerror, 0) + 1

    def note(self):
        n = 'sent %d raw packets' % self.sent
        if self.errors:
            n += ' (' + ', '.join('%s x%d' % kv for kv in self.errors.items()) + ')'
        return n

    def close(self):
        self.s.close()


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(':'))


def own_mac():
    return json.loads(sh('ip', '-j', 'link', 'show', IF)[1])[0]['address']


def gw_mac():
    """The gateway's MAC as the workstation's neighbour table has it (a TCP SYN to the gateway first makes sure)."""
    for _ in range(3):
        rc, out = sh('ip', '-j', 'neigh', 'show', 'dev', IF)
        for n in json.loads(out or '[]'):
            if n.get('dst') == GW and n.get('lladdr'):
                return n['lladdr']
        tcp_try(GW, 9050, timeout=2)
    raise RuntimeError('no neighbour entry for the gateway')


class L2:
    """Whole Ethernet frames on eth0, below the IP stack."""

    def __init__(self):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((IF, 0))
        self.src = mac_bytes(own_mac())
        self.sent = 0
        self.errors = {}

    def send(self, dst_mac, ethertype, payload, src_mac=None):
        frame = dst_mac + (src_mac or self.src) + struct.pack('!H', ethertype) + payload
        try:
            self.s.send(frame)
            self.sent += 1
        except OSError as e:
            self.errors[e.strerror] = self.errors.get(e.strerror, 0) + 1

    def note(self):
        n = 'sent %d frames' % self.sent
        if self.errors:
            n += ' (' + ', '.join('%s x%d' % kv for kv in self.errors.items()) + ')'
        return n


def tcp_try(host, port, timeout=8, send=None, read=0, family=socket.AF_INET, bind=None, read_timeout=None):
    """Connect; optionally send bytes and read up to `read` bytes. Returns (state, data)."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if bind:
            s.bind((bind, 0))
        s.connect((host, port) if family == socket.AF_INET else (host, port, 0, socket.if_nametoindex(IF) if host.startswith('fe80') else 0))
        data = b''
        if send is not None:
            s.sendall(send)
        if read_timeout is not None:
            timeout = read_timeout
            s.settimeout(timeout)
        if read:
            end = time.time() + timeout
            while len(data) < read and time.time() < end:
                try:
                    chunk = s.recv(read - len(data))
                except socket.timeout:
                    break
                if not chunk:
                    break
                data += chunk
        return 'open', data
    except socket.timeout:
        return 'timeout', b''
    except ConnectionRefusedError:
        return 'refused', b''
    except OSError as e:
        return e.strerror or str(e), b''
    finally:
        s.close()


def count(states):
    out = {}
    for st in states:
        out[st] = out.get(st, 0) + 1
    return ', '.join('%s %d' % kv for kv in sorted(out.items()))


def http_ip(host, port=80, bind=None, timeout=15):
    st, data = tcp_try(host, port, timeout=timeout, send=b'GET /ip HTTP/1.0\r\nHost: web.lab.test\r\n\r\n', read=4096, bind=bind)
    body = data.split(b'\r\n\r\n', 1)[1].decode(errors='replace').strip() if b'\r\n\r\n' in data else ''
    return st, body


def exit_check(seen):
    """What a lab web host saw as our source: an exit relay's address is fine; anything else is a breach."""
    addrs = [m for s in seen if s for m in re.findall(r'\d+\.\d+\.\d+\.\d+', s)]
    bad = [s for s in seen if s and not re.findall(r'\d+\.\d+\.\d+\.\d+', s)]
    return ['web saw %s' % x for x in addrs if not x.startswith('203.0.113.')] + ['unreadable answer %r' % x[:40] for x in bad]


def udp_send(host, port, payload=b'bulkhead-leaktest', family=socket.AF_INET, bcast=False, mcast_if=False, bind=None, wait=0.0):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if bcast:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if mcast_if and family == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(WS))
        if mcast_if and family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(IF))
        if bind:
            s.bind((bind, 0))
        addr = (host, port) if family == socket.AF_INET else (host, port, 0, socket.if_nametoindex(IF))
        s.sendto(payload, addr)
        if wait:
            s.settimeout(wait)
            try:
                return 'answered %d bytes' % len(s.recvfrom(4096)[0])
            except socket.timeout:
                return 'no answer'
        return 'sent'
    except OSError as e:
        return e.strerror or str(e)
    finally:
        s.close()


def dns_query(name, qtype=1):
    q = struct.pack('!HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
    for part in name.rstrip('.').split('.'):
        q += bytes([len(part)]) + part.encode()
    return q + b'\0' + struct.pack('!HH', qtype, 1)


def dns_ask(server, name, port=53, timeout=8):
    """A-record answers from `server` (list of addresses), or a string saying why none."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(dns_query(name), (server, port))
        data = s.recvfrom(4096)[0]
    except socket.timeout:
        return 'timeout'
    except OSError as e:
        return e.strerror
    finally:
        s.close()
    rcode = data[3] & 0xf
    an = struct.unpack('!H', data[6:8])[0]
    i = 12
    while data[i]:
        i += data[i] + 1
    i += 5
    out = []
    for _ in range(an):
        if data[i] & 0xc0 == 0xc0:
            i += 2
        else:
            while data[i]:
                i += data[i] + 1
            i += 1
        typ, _cls, _ttl, ln = struct.unpack('!HHIH', data[i:i + 10])
        i += 10
        if typ == 1 and ln == 4:
            out.append(socket.inet_ntoa(data[i:i + 4]))
        i += ln
    return out if out else 'rcode %d, no A' % rcode


NTP = b'\x23' + b'\0' * 47  # v4 client request


# ---- vectors -------------------------------------------------------------------------------------

def v_setup(a):
    QUBES.update(a)
    return {'note': 'uid %d, caps %s' % (os.getuid(), [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0])}


def v_rawproto(a):
    r = Raw()
    for p in range(a['from'], a['to'] + 1):
        payload = b'\0' * 8 + b'bulkhead-leaktest-proto-%d' % p
        r.send(ip4(WS, a['dst'], p, payload, ident=p), a['dst'])
    r.close()
    return {'note': r.note()}


def v_tcp_hosts(a):
    seen, states = [], []
    with ThreadPoolExecutor(16) as ex:
        jobs = []
        for host, port in a['targets']:
            if port == 80:
                jobs.append(ex.submit(http_ip, host, port, None, a.get('timeout', 15)))
            else:
                jobs.append(ex.submit(lambda h=host, p=port: (tcp_try(h, p, timeout=a.get('timeout', 10), send=b'hello\r\n', read=64, read_timeout=3)[0], '')))
        for j in jobs:
            st, body = j.result()
            states.append(st)
            if body:
                seen.append(body)
    bad = exit_check(seen)
    return {'note': '%s; web saw %s' % (count(states), sorted(set(seen)) or 'nothing'), 'breach': bad}


def v_udp(a):
    res = [udp_send(h, p, a.get('payload', 'bulkhead-leaktest').encode(), wait=a.get('wait', 0)) for h, p in a['targets']]
    return {'note': '%d datagrams: %s' % (len(res), count(res))}


def v_dns(a):
    out = []
    for server in a['servers']:
        for name in a['names']:
            r = dns_ask(server, name, timeout=a.get('timeout', 8))
            out.append('%s@%s=%s' % (name, server, ','.join(r) if isinstance(r, list) else r))
    return {'note': '; '.join(out)}


def v_raw_dns(a):
    r = Raw()
    q = dns_query('web.lab.test')
    for dst in a['servers']:
        r.send(ip4(WS, dst, 17, udp(WS, dst, 40053, 53, q)), dst)
    r.close()
    return {'note': r.note()}


def v_ping(a):
    r = Raw()
    for dst in a['targets']:
        for typ, code, rest in a.get('types', [[8, 0, '00010001']]):
            r.send(ip4(WS, dst, 1, icmp(typ, code, bytes.fromhex(rest))), dst)
    r.close()
    res = []
    for dst in a['targets'][:4]:
        rc, _ = sh('ping', '-c', '1', '-W', '1', dst)
        res.append('ping %s rc=%d' % (dst, rc))
    return {'note': r.note() + '; ' + ', '.join(res)}


def ipv6_state():
    """The suite turned IPv6 on for eth0 from outside (the qube's /proc/sys is a read-only mount); wait for the link-local address."""
    out = ''
    for _ in range(30):
        out = sh('ip', '-6', '-br', 'addr', 'show', 'dev', IF)[1]
        if 'fe80::' in out and 'tentative' not in out:
            break
        time.sleep(0.1)
    return 'eth0 IPv6: %s' % (out.split(None, 2)[2] if len(out.split()) > 2 else 'no address')


def gw_ll():
    m = mac_bytes(gw_mac())
    eui = bytes([m[0] ^ 2]) + m[1:3] + b'\xff\xfe' + m[3:]
    return str(ipaddress.IPv6Address(b'\xfe\x80' + b'\0' * 6 + eui))


def v_ipv6(a):
    notes = [ipv6_state()]
    ll = gw_ll()
    sh('ip', '-6', 'route', 'add', 'default', 'via', ll, 'dev', IF)
    sh('ip', '-6', 'addr', 'add', '2001:db8:bad::11/64', 'dev', IF)
    res = []
    for t in ('ff02::1', 'ff02::2', ll, '2001:db8::10', '64:ff9b::c000:20a'):  # the last is NAT64 of 192.0.2.10
        res.append('ping6 %s rc=%d' % (t, sh('ping', '-6', '-c', '1', '-W', '1', '-I', IF, t)[0]))
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        for t in ('ff02::1', 'ff02::2', ll):
            s.sendto(struct.pack('!BBHI', 133, 0, 0, 0), (t, 0, 0, socket.if_nametoindex(IF)))  # router solicitation
            s.sendto(struct.pack('!BBHHH', 128, 0, 0, 7, 1) + b'bulkhead', (t, 0, 0, socket.if_nametoindex(IF)))
        s.close()
        res.append('raw ICMPv6 RS+echo x3 sent')
    except OSError as e:
        res.append('raw ICMPv6: ' + e.strerror)
    for t in (ll, '2001:db8::10', '64:ff9b::c000:20a'):
        res.append('tcp6 %s:80 %s' % (t, tcp_try(t, 80, timeout=3, family=socket.AF_INET6)[0]))
        res.append('udp6 %s:53 %s' % (t, udp_send(t, 53, dns_query('web.lab.test'), family=socket.AF_INET6)))
    res.append('udp6 ff02::1:5353 %s' % udp_send('ff02::1', 5353, b'x', family=socket.AF_INET6, mcast_if=True))
    return {'note': '; '.join(notes + res)}


def v_ipv6_l2(a):
    """IPv6 frames written straight onto the link (no IPv6 stack needed): to the gateway's MAC and to all-nodes multicast."""
    l2 = L2()
    gm = mac_bytes(gw_mac())
    for dst_mac, dst in ((gm, 'fe80::1'), (bytes.fromhex('333300000001'), 'ff02::1'), (gm, '2001:db8::10')):
        src6 = ipaddress.IPv6Address('fe80::bad').packed
        d6 = ipaddress.IPv6Address(dst).packed
        icmp6 = struct.pack('!BBHHH', 128, 0, 0, 9, 1) + b'leak'
        ph = src6 + d6 + struct.pack('!I3xB', len(icmp6), 58)
        icmp6 = icmp6[:2] + struct.pack('!H', csum(ph + icmp6)) + icmp6[4:]
        l2.send(dst_mac, 0x86dd, struct.pack('!IHBB', 0x60000000, len(icmp6), 58, 255) + src6 + d6 + icmp6)
        t = tcp('0.0.0.0', '0.0.0.0', 40000, 80, SYN)
        l2.send(dst_mac, 0x86dd, struct.pack('!IHBB', 0x60000000, len(t), 6, 64) + src6 + d6 + t)
    return {'note': l2.note()}


def v_multicast(a):
    sh('ip', 'route', 'add', '224.0.0.0/4', 'dev', IF)
    res = []
    for h, p in (('224.0.0.1', 9), ('224.0.0.251', 5353), ('239.255.255.250', 1900), ('239.1.2.3', 4242), ('224.0.0.252', 5355)):
        res.append(udp_send(h, p, b'M-SEARCH * HTTP/1.1\r\n\r\n', mcast_if=True))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('239.1.2.3') + socket.inet_aton(WS))
        res.append('igmp join ok')
    except OSError as e:
        res.append('igmp join: ' + e.strerror)
    time.sleep(0.5)
    s.close()
    r = Raw()
    for dst in ('224.0.0.1', '224.0.0.22', '239.255.255.250'):
        r.send(ip4(WS, dst, 2, struct.pack('!BBH4s', 0x16, 0, 0, socket.inet_aton('239.9.9.9')), ttl=1), dst)
        r.send(ip4(WS, dst, 17, udp(WS, dst, 5353, 5353, b'mdns')), dst)
    r.close()
    return {'note': count(res) + '; ' + r.note()}


def v_broadcast(a):
    sh('ip', 'route', 'add', 'broadcast', '255.255.255.255', 'dev', IF)
    sh('ip', 'addr', 'add', '10.152.152.11/24', 'brd', '10.152.152.255', 'dev', IF)
    res = []
    for h, p in (('255.255.255.255', 67), ('255.255.255.255', 137), ('10.152.152.255', 138), ('192.0.2.255', 53), ('10.137.0.255', 68)):
        res.append(udp_send(h, p, b'bulkhead-leaktest', bcast=True))
    r = Raw()
    for dst in ('255.255.255.255', '192.0.2.255', '10.152.152.255'):
        r.send(ip4(WS, dst, 17, udp(WS, dst, 68, 67, b'\x01' * 240)), dst)
        r.send(ip4(WS, dst, 1, icmp(8, 0, b'\0\1\0\1')), dst)
    r.close()
    l2 = L2()
    for dst in ('192.0.2.10', '255.255.255.255'):
        pkt = ip4(WS, dst, 17, udp(WS, dst, 68, 67, b'\x01' * 240))
        l2.send(b'\xff' * 6, 0x0800, pkt)
    sh('ip', 'addr', 'del', '10.152.152.11/24', 'dev', IF)
    return {'note': count(res) + '; ' + r.note() + '; L2 broadcast ' + l2.note()}


def v_spoof(a):
    r = Raw()
    for src in a['sources']:
        for dst in a['targets']:
            r.send(ip4(src, dst, 6, tcp(src, dst, 40000, 80, SYN)), dst)
            r.send(ip4(src, dst, 17, udp(src, dst, 40000, 53, dns_query('web.lab.test'))), dst)
            r.send(ip4(src, dst, 1, icmp(8, 0, b'\0\2\0\1')), dst)
    r.close()
    return {'note': '%d sources x %d targets: %s' % (len(a['sources']), len(a['targets']), r.note())}


def v_own_addr(a):
    res = []
    for addr in ('10.152.152.12', '10.137.0.50', QUBES['gwUplink'], '192.0.2.99'):
        rc, out = sh('ip', 'addr', 'add', addr + '/32', 'dev', IF)
        res.append('add %s rc=%d' % (addr, rc))
        st, body = http_ip(WEB, 80, bind=addr, timeout=2)
        res.append('tcp %s' % st + (' (web saw %s)' % body if body else ''))
        res.append('udp %s' % udp_send(WEB, 53, dns_query('web.lab.test'), bind=addr, wait=0.5))
        sh('ip', 'addr', 'del', addr + '/32', 'dev', IF)
    # Replace the address itself (and put it back).
    sh('ip', 'addr', 'flush', 'dev', IF)
    sh('ip', 'addr', 'add', '10.152.152.77/32', 'dev', IF)
    sh('ip', 'route', 'replace', 'default', 'via', GW, 'dev', IF, 'onlink', 'src', '10.152.152.77')
    res.append('replaced by 10.152.152.77: tcp %s' % http_ip(WEB, 80, timeout=2)[0])
    sh('ip', 'addr', 'flush', 'dev', IF)
    sh('ip', 'addr', 'add', WS + '/32', 'dev', IF)
    sh('ip', 'route', 'replace', GW + '/32', 'dev', IF, 'scope', 'link', 'src', WS)
    sh('ip', 'route', 'replace', 'default', 'via', GW, 'dev', IF, 'onlink', 'src', WS)
    seen = [x.split('web saw ')[1].rstrip(')') for x in res if 'web saw' in x]
    return {'note': '; '.join(res), 'breach': exit_check(seen)}


def v_route(a):
    res = []
    for cmd in (['ip', 'route', 'add', '192.0.2.0/24', 'dev', IF],
                ['ip', 'route', 'replace', '192.0.2.0/24', 'via', QUBES['firewall'], 'dev', IF, 'onlink'],
                ['ip', 'route', 'replace', '192.0.2.0/24', 'via', QUBES['sysnetUplink'], 'dev', IF, 'onlink'],
                ['ip', 'route', 'replace', '192.0.2.0/24', 'via', ROUTER, 'dev', IF, 'onlink'],
                ['ip', 'route', 'replace', 'default', 'dev', IF]):
        rc, _ = sh(*cmd)
        st = tcp_try(WEB, 22, timeout=2)[0]
        u = udp_send(WEB, 5353, b'x')
        r = Raw()
        r.send(ip4(WS, OTHER, 1, icmp(8, 0, b'\0\4\0\1')), OTHER)
        r.close()
        res.append('%s rc=%d: tcp %s, udp %s, icmp %s' % (' '.join(cmd[2:]), rc, st, u, r.note()))
    sh('ip', 'route', 'del', '192.0.2.0/24')
    sh('ip', 'route', 'replace', 'default', 'via', GW, 'dev', IF, 'onlink', 'src', WS)
    return {'note': '; '.join(res)}


def v_arp(a):
    gm = gw_mac()
    res = []
    sh('ip', 'route', 'add', '192.0.2.10/32', 'dev', IF)
    for cmd in (['ip', 'neigh', 'replace', GW, 'lladdr', '02:00:00:00:be:ef', 'dev', IF, 'nud', 'permanent'],
                ['ip', 'neigh', 'replace', GW, 'lladdr', 'ff:ff:ff:ff:ff:ff', 'dev', IF, 'nud', 'permanent'],
                ['ip', 'neigh', 'replace', WEB, 'lladdr', gm, 'dev', IF, 'nud', 'permanent'],
                ['ip', 'neigh', 'replace', WEB, 'lladdr', 'ff:ff:ff:ff:ff:ff', 'dev', IF, 'nud', 'permanent']):
        rc, _ = sh(*cmd)
        st = tcp_try(WEB, 22, timeout=2)[0]
        u = udp_send(WEB, 53, dns_query('web.lab.test'))
        r = Raw()
        r.send(ip4(WS, WEB, 1, icmp(8, 0, b'\0\5\0\1')), WEB)
        r.close()
        res.append('%s rc=%d: tcp %s, udp %s, icmp %s' % (' '.join(cmd[2:5]), rc, st, u, r.note()))
    sh('ip', 'route', 'del', '192.0.2.10/32')
    sh('ip', 'neigh', 'del', WEB, 'dev', IF)
    sh('ip', 'neigh', 'replace', GW, 'lladdr', gm, 'dev', IF, 'nud', 'reachable')
    # Gratuitous ARP claiming other addresses on the link.
    l2 = L2()
    me = l2.src
    for ip in (GW, QUBES['gwUplink'], QUBES['firewall'], WEB):
        arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 2, me, socket.inet_aton(ip), b'\xff' * 6, socket.inet_aton(ip))
        l2.send(b'\xff' * 6, 0x0806, arp)
        req = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, me, socket.inet_aton(WS), b'\0' * 6, socket.inet_aton(ip))
        l2.send(b'\xff' * 6, 0x0806, req)
    return {'note': '; '.join(res) + '; ARP ' + l2.note()}


def v_l2_ip(a):
    """IPv4 frames built by hand to the gateway's MAC and to others, skipping the workstation's routing entirely."""
    l2 = L2()
    gm = mac_bytes(gw_mac())
    for dst in (WEB, OTHER, DNS, ROUTER, QUBES['gwUplink'], QUBES['firewall'], '8.8.8.8'):
        for dst_mac in (gm, b'\xff' * 6, bytes.fromhex('02deadbeef01')):
            l2.send(dst_mac, 0x0800, ip4(WS, dst, 17, udp(WS, dst, 40000, 53, dns_query('web.lab.test'))))
            l2.send(dst_mac, 0x0800, ip4(WS, dst, 6, tcp(WS, dst, 40001, 80, SYN)))
            l2.send(dst_mac, 0x0800, ip4('10.137.0.99', dst, 1, icmp(8, 0, b'\0\3\0\1')))
    for et in (0x88cc, 0x8100, 0x8863, 0x88b5):  # LLDP, VLAN tag, PPPoE discovery, local experimental
        l2.send(b'\xff' * 6, et, b'\0' * 46)
        l2.send(gm, et, b'\0' * 46)
    return {'note': l2.note()}


def v_scan(a):
    ports = list(range(a['from'], a['to'] + 1))
    socks_like = []

    def probe(p):
        st, data = tcp_try(GW, p, timeout=1.5, send=b'\x05\x01\x00' if a.get('socks') else None, read=2 if a.get('socks') else 0)
        if data[:2] == b'\x05\x00':
            socks_like.append(p)
        return st
    with ThreadPoolExecutor(128) as ex:
        states = list(ex.map(probe, ports))
    own = [p for p in socks_like if a.get('own_from', -1) <= p <= a.get('own_to', -2)]
    other = [p for p in socks_like if p not in own]
    note = '%d ports: %s' % (len(ports), count(states))
    if a.get('socks'):
        note += '; answered as a SOCKS port: %d (other blocks: %s)' % (len(socks_like), other or 'none')
    return {'note': note, 'breach': ['SOCKS reached on port %d' % p for p in other]}


def v_tor_control(a):
    res, breach = [], []
    for port in a['ports']:
        st, data = tcp_try(GW, port, timeout=3, send=b'PROTOCOLINFO 1\r\n', read=256, read_timeout=2)
        res.append('%d: %s%s' % (port, st, (' reply %r' % data[:40].decode(errors='replace')) if data else ''))
        if b'250-PROTOCOLINFO' in data and b'COOKIE' in data:
            breach.append('tor\'s own control port answered on %d' % port)
    r = Raw()
    for dst in ('127.0.0.1', GW):
        r.send(ip4(WS, dst, 6, tcp(WS, dst, 40002, 9052, SYN)), dst)
    r.close()
    return {'note': '; '.join(res) + '; raw SYN to 127.0.0.1:9052 ' + r.note(), 'breach': breach}


def control_session(lines, port=9051):
    s = socket.create_connection((GW, port), timeout=8)
    f = s.makefile('rb')
    out = []
    try:
        for line in lines:
            s.sendall(line.encode() + b'\r\n')
            reply = []
            while True:
                l = f.readline().decode(errors='replace').rstrip('\r\n')
                if not l:
                    reply.append('<closed>')
                    break
                reply.append(l)
                if len(l) >= 4 and l[3] == ' ':
                    break
            out.append((line, reply))
    finally:
        s.close()
    return out


def v_control(a):
    try:
        got = control_session(['AUTHENTICATE'] + a['commands'])
    except (socket.timeout, OSError) as e:
        raise RuntimeError('the control-port filter at %s:9051 did not answer (%s)' % (GW, e.strerror or e or 'timed out'))
    codes, breach = {}, []
    for line, reply in got[1:]:
        last = reply[-1] if reply else ''
        codes[last[:3]] = codes.get(last[:3], 0) + 1
        if not last.startswith('510'):
            breach.append('%s -> %s' % (line, ' | '.join(reply)[:120]))
    return {'note': '%d commands after AUTHENTICATE (%s): replies %s' % (len(a['commands']), got[0][1][-1] if got else '?', codes), 'breach': breach}


def v_ntp(a):
    res = []
    targets = list(a.get('targets', []))
    for name in a.get('names', []):
        r = dns_ask(GW, name)
        res.append('%s=%s' % (name, ','.join(r) if isinstance(r, list) else r))
        if isinstance(r, list):
            targets += r
    for t in targets:
        res.append('ntp %s %s' % (t, udp_send(t, 123, NTP, wait=1)))
    r = Raw()
    for t in targets:
        r.send(ip4(WS, t, 17, udp(WS, t, 123, 123, NTP)), t)
    r.close()
    return {'note': '; '.join(res) + '; ' + r.note()}


def v_rebind(a):
    res, seen = [], []
    for name in a['names']:
        r = dns_ask(GW, name)
        if not isinstance(r, list):
            res.append('%s=%s' % (name, r))
            continue
        for addr in r:
            st, body = http_ip(addr, 80)
            res.append('%s=%s tcp %s%s' % (name, addr, st, ' (saw %s)' % body if body else ''))
            if body:
                seen.append(body)
            res.append('udp %s' % udp_send(addr, 80, b'x'))
    return {'note': '; '.join(res), 'breach': exit_check(seen)}


def v_dns_malformed(a):
    """Odd datagrams to the DNS port: empty, shorter than a DNS header, a pointer loop, oversized."""
    loop = struct.pack('!HHHHHH', 0x4242, 0x0100, 1, 0, 0, 0) + b'\xc0\x0c' + struct.pack('!HH', 1, 1)
    payloads = {'empty': b'', '1 byte': b'x', '2 bytes': b'\x12\x34', '11 bytes': b'\0' * 11,
                'pointer loop': loop, 'qdcount 65535': struct.pack('!HHHHHH', 1, 0x0100, 65535, 0, 0, 0),
                'oversized': dns_query('a' * 60 + '.lab.test') + b'\0' * 1300}
    res = []
    for name, p in payloads.items():
        res.append('%s: %s' % (name, udp_send(a.get('server', GW), 53, p, wait=0.3)))
    return {'note': '; '.join(res)}


def v_fragments(a):
    r = Raw()
    for dst in a['targets']:
        for port in (53, 123, 80):
            payload = udp(WS, dst, 40003, port, dns_query('web.lab.test') + b'A' * 64)
            ident = 0x7000 + port
            r.send(ip4(WS, dst, 17, payload[:24], ident=ident, mf=True), dst)
            r.send(ip4(WS, dst, 17, payload[24:], ident=ident, frag=3), dst)
            # overlapping second fragment rewriting the UDP header region, then a tiny first fragment
            r.send(ip4(WS, dst, 17, payload[:8], ident=ident + 1, mf=True), dst)
            r.send(ip4(WS, dst, 17, payload[0:], ident=ident + 1, frag=0), dst)
            r.send(ip4(WS, dst, 6, tcp(WS, dst, 40004, port, SYN)[:8], ident=ident + 2, mf=True), dst)
            r.send(ip4(WS, dst, 6, tcp(WS, dst, 40004, port, SYN)[8:], ident=ident + 2, frag=1), dst)
    r.close()
    return {'note': r.note()}


def v_tcp_flags(a):
    r = Raw()
    combos = {'SYN+FIN': SYN | FIN, 'NULL': 0, 'XMAS': FIN | PSH | URG, 'SYN+RST': SYN | RST, 'FIN': FIN, 'ACK': ACK,
              'RST': RST, 'FIN+RST': FIN | RST, 'all': 0x3f, 'SYN+URG+data': SYN | URG}
    for dst, port in a['targets']:
        for name, fl in combos.items():
            r.send(ip4(WS, dst, 6, tcp(WS, dst, 40005, port, fl, payload=b'x' if 'data' in name else b'')), dst)
    r.close()
    return {'note': '%d flag sets x %d targets: %s' % (len(combos), len(a['targets']), r.note())}


def v_source_route(a):
    r = Raw()
    for dst in (WEB, GW):
        # LSRR via the gateway to the web host, SSRR, record route, and a TTL of 1
        lsrr = struct.pack('!BBB4s4s', 131, 11, 4, socket.inet_aton(GW), socket.inet_aton(WEB)) + b'\x01'
        ssrr = struct.pack('!BBB4s4s', 137, 11, 4, socket.inet_aton(GW), socket.inet_aton(WEB)) + b'\x01'
        rr = struct.pack('!BBB', 7, 11, 4) + b'\0' * 8 + b'\x01'
        for opt in (lsrr, ssrr, rr):
            r.send(ip4(WS, dst, 17, udp(WS, dst, 40006, 53, dns_query('web.lab.test')), options=opt), dst)
            r.send(ip4(WS, dst, 6, tcp(WS, dst, 40006, 80, SYN), options=opt), dst)
        r.send(ip4(WS, WEB, 17, udp(WS, WEB, 40006, 33434, b'x'), ttl=1), WEB)
    r.close()
    return {'note': r.note()}


def v_direct(a):
    targets = [QUBES['gwUplink'], QUBES['firewall'], QUBES['sysnet'], QUBES['sysnetUplink'], QUBES['routerUplink']]

    def one(t):
        st = tcp_try(t, 22, timeout=3)[0]
        u = udp_send(t, 53, dns_query('web.lab.test'), wait=1)
        p = sh('ping', '-c', '1', '-W', '1', t)[0]
        return '%s: tcp %s, udp %s, ping rc=%d' % (t, st, u, p)
    with ThreadPoolExecutor(8) as ex:
        res = list(ex.map(one, targets))
    return {'note': '; '.join(res)}


def v_links(a):
    res = []
    for cmd in (['ip', 'link', 'add', 'lk0', 'type', 'dummy'],
                ['ip', 'link', 'add', 'lkv0', 'type', 'veth', 'peer', 'name', 'lkv1'],
                ['ip', 'link', 'add', 'lkm0', 'link', IF, 'type', 'macvlan', 'mode', 'bridge'],
                ['ip', 'link', 'add', 'lki0', 'link', IF, 'type', 'ipvlan', 'mode', 'l2'],
                ['ip', 'link', 'add', 'lkg0', 'type', 'gre', 'remote', WEB, 'local', WS],
                ['ip', 'link', 'add', 'lkx0', 'type', 'vxlan', 'id', '42', 'remote', WEB, 'dstport', '4789', 'dev', IF],
                ['ip', 'link', 'add', 'lkp0', 'type', 'ipip', 'remote', WEB, 'local', WS]):
        rc, out = sh(*cmd)
        res.append('%s: %s' % (cmd[3], 'created' if rc == 0 else out.split('\n')[0][:60]))
    made = [l for l in ('lk0', 'lkv0', 'lkm0', 'lki0', 'lkg0', 'lkx0', 'lkp0') if sh('ip', 'link', 'show', l)[0] == 0]
    for i, l in enumerate(made):
        addr = '10.152.153.%d' % (10 + i)
        sh('ip', 'link', 'set', l, 'up')
        sh('ip', 'addr', 'add', addr + '/32', 'dev', l)
        sh('ip', 'route', 'replace', '192.0.2.0/24', 'dev', l)
        st = tcp_try(WEB, 80, timeout=2)[0]
        u = udp_send(WEB, 53, dns_query('web.lab.test'))
        r = Raw()
        r.send(ip4(addr, WEB, 1, icmp(8, 0, b'\0\6\0\1')), WEB)
        r.close()
        res.append('via %s: tcp %s, udp %s, icmp %s' % (l, st, u, r.note()))
        sh('ip', 'route', 'del', '192.0.2.0/24')
    for l in made:
        sh('ip', 'link', 'del', l)
    return {'note': '; '.join(res)}


LONG = {}


def v_long_open(a):
    """A TCP connection through the TransPort that stays open (the request is sent, the reply read, no close)."""
    s = socket.create_connection((WEB, 80), timeout=15)
    s.sendall(b'GET /ip HTTP/1.1\r\nHost: web.lab.test\r\nConnection: keep-alive\r\n\r\n')
    data = b''
    end = time.time() + 15
    while b'\r\n\r\n' not in data and time.time() < end:
        data += s.recv(4096)
    time.sleep(0.3)
    try:
        s.setblocking(False)
        data += s.recv(4096)
    except BlockingIOError:
        pass
    s.setblocking(True)
    LONG['s'] = s
    LONG['tuple'] = s.getsockname() + s.getpeername()
    body = data.split(b'\r\n\r\n', 1)[1].decode(errors='replace') if b'\r\n\r\n' in data else ''
    body = ' '.join(re.findall(r'\d+\.\d+\.\d+\.\d+', body)) or body.strip()[:40]
    return {'note': 'open %s:%d -> %s:%d; web saw %s' % (LONG['tuple'] + (body or 'nothing',)), 'breach': exit_check([body])}


def v_long_close(a):
    """After tor stopped: use the old connection, close it (FIN), send RST/ACK/FIN+ACK by hand on its 4-tuple, then try again."""
    s = LONG.pop('s', None)
    res = []
    if s is None:
        return {'note': 'no open connection', 'breach': ['the long connection was not open']}
    src, sport, dst, dport = LONG['tuple']
    s.settimeout(3)
    try:
        s.sendall(b'GET /ip HTTP/1.1\r\nHost: web.lab.test\r\n\r\n')
        res.append('write after tor stopped: ok')
        res.append('read: %r' % s.recv(64)[:20])
    except OSError as e:
        res.append('write/read: %s' % (e.strerror or e))
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        res.append('shutdown: %s' % e.strerror)
    s.close()
    r = Raw()
    for fl in (FIN | ACK, RST | ACK, RST, ACK, PSH | ACK):
        r.send(ip4(src, dst, 6, tcp(src, dst, sport, dport, fl, seq=123456, ack=654321, payload=b'x' if fl & PSH else b'')), dst)
    r.close()
    res.append('hand-made FIN/RST-ACK on the 4-tuple: ' + r.note())
    res.append('new tcp %s' % tcp_try(WEB, 80, timeout=4)[0])
    res.append('dns %s' % dns_ask(GW, 'web.lab.test', timeout=3))
    res.append('udp %s' % udp_send(WEB, 123, NTP))
    return {'note': '; '.join(res)}


VECTORS = {k[2:]: v for k, v in globals().items() if k.startswith('v_')}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        t0 = time.time()
        try:
            out = VECTORS[cmd['op']](cmd.get('args', {}))
            out.setdefault('breach', [])
            out['ok'] = True
        except Exception as e:  # the vector itself failed: reported, and the suite fails on it
            out = {'ok': False, 'note': '%s: %s' % (type(e).__name__, e), 'breach': []}
        out['id'] = cmd['id']
        out['secs'] = round(time.time() - t0, 2)
        sys.stdout.write(json.dumps(out) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()

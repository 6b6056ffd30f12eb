// The DHCP client that runs inside sys-net (Python, from the template), its source passed with `python3 -c`: sys-net, not the admin, parses the network's answers.
/**
 * Usage: python3 -c SOURCE IFACE MAC TIMEOUT_S. One DISCOVER/OFFER/REQUEST/ACK exchange with the
 * broadcast flag set, over a plain UDP socket bound to port 68 on IFACE: no raw socket and no
 * capability, so it works for a qube user in a namespace owned by the admin (which only lowers
 * net.ipv4.ip_unprivileged_port_start to 68 there). Prints one JSON line: the lease, or {"error"}.
 */
export const DHCP_CLIENT_SOURCE = String.raw`
import json, random, select, socket, struct, sys, time
iface, mac, timeout = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', '')), float(sys.argv[3])
xid = random.getrandbits(32)
def packet(msgtype, extra):
    head = struct.pack('!BBBBIHHIIII', 1, 1, 6, 0, xid, 0, 0x8000, 0, 0, 0, 0)
    return head + mac + b'\0' * 202 + b'\x63\x82\x53\x63' + bytes([53, 1, msgtype]) + extra + bytes([55, 4, 1, 3, 6, 51, 255])
def parse(data):
    if len(data) < 240 or data[0] != 2 or struct.unpack('!I', data[4:8])[0] != xid or data[28:34] != mac or data[236:240] != b'\x63\x82\x53\x63':
        return None
    opts, i = {}, 240
    while i < len(data):
        code = data[i]
        if code == 255: break
        if code == 0: i += 1; continue
        if i + 1 >= len(data): break
        n = data[i + 1]
        opts.setdefault(code, data[i + 2:i + 2 + n])
        i += 2 + n
    return socket.inet_ntoa(data[16:20]), opts
def done(obj, code):
    print(json.dumps(obj)); sys.exit(code)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
s.bind(('0.0.0.0', 68))
deadline = time.monotonic() + timeout
def exchange(msgtype, extra, want):
    tries = 0
    while time.monotonic() < deadline:
        s.sendto(packet(msgtype, extra), ('255.255.255.255', 67))
        until = min(deadline, time.monotonic() + min(4, 1 << tries))
        tries += 1
        while time.monotonic() < until:
            if not select.select([s], [], [], max(0, until - time.monotonic()))[0]: break
            r = parse(s.recv(1500))
            if r and r[1].get(53) in [bytes([t]) for t in want]: return r
    return None
offer = exchange(1, b'', [2])
if not offer: done({'error': 'no DHCP offer on %s within %gs' % (iface, timeout)}, 1)
server = offer[1].get(54, b'')
ack = exchange(3, bytes([50, 4]) + socket.inet_aton(offer[0]) + (bytes([54, 4]) + server if len(server) == 4 else b''), [5, 6])
if not ack or ack[1].get(53) != bytes([5]): done({'error': 'DHCP request for %s on %s was not acknowledged' % (offer[0], iface)}, 1)
addr, o = ack
ips = lambda b: [socket.inet_ntoa(b[i:i + 4]) for i in range(0, len(b) - len(b) % 4, 4)]
mask = o.get(1, b'')
done({'address': addr, 'prefix': bin(struct.unpack('!I', mask)[0]).count('1') if len(mask) == 4 else None,
      'routers': ips(o.get(3, b''))[:4], 'dns': ips(o.get(6, b''))[:4],
      'lease': struct.unpack('!I', o[51])[0] if len(o.get(51, b'')) == 4 else None, 'server': ips(server)[:1]}, 0)
`;

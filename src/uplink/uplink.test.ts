// Host uplink's pure parts: option validation, choice of NIC from `ip -j route`, resolvers, the lease check, the host's nft table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileHostNatTable,
  configFeatures,
  configFromFeatures,
  defaultRouteNic,
  defaultRoutes,
  dropHostNatTable,
  hostNatTableName,
  leaseChangeLines,
  parseHostUplinkOptions,
  parseLease,
  renewalDelayS,
  usableResolvers,
} from './index.js';

test('options: defaults, nat, static exclusive', () => {
  assert.deepEqual(parseHostUplinkOptions({}), { mode: 'exclusive', nic: null, settings: { address: null, gateway: null, dns: [] } });
  assert.deepEqual(parseHostUplinkOptions({ mode: 'nat', nic: 'wlp2s0', dns: ['9.9.9.9'] }), {
    mode: 'nat',
    nic: 'wlp2s0',
    settings: { address: null, gateway: null, dns: ['9.9.9.9'] },
  });
  assert.deepEqual(parseHostUplinkOptions({ nic: 'enp3s0', address: '192.168.1.20/24', gateway: '192.168.1.1', dns: ['192.168.1.1', '1.1.1.1'] }).settings, {
    address: '192.168.1.20/24',
    gateway: '192.168.1.1',
    dns: ['192.168.1.1', '1.1.1.1'],
  });
  // A /32 with a gateway anywhere (onlink).
  assert.equal(parseHostUplinkOptions({ address: '203.0.113.5/32', gateway: '203.0.113.1', dns: ['203.0.113.1'] }).settings.address, '203.0.113.5/32');
});

test('options: each bad input is one error naming the option', () => {
  const bad: [Parameters<typeof parseHostUplinkOptions>[0], RegExp][] = [
    [{ mode: 'bridge' }, /^--mode: 'bridge' is not nat or exclusive/],
    [{ nic: 'lo' }, /^--nic: 'lo'/],
    [{ nic: 'eth0 up' }, /^--nic:/],
    [{ nic: 'a-very-long-interface' }, /^--nic:/],
    [{ nic: '../x' }, /^--nic:/],
    [{ address: '192.168.1.20/24' }, /^--gateway: static settings need both/],
    [{ gateway: '192.168.1.1' }, /^--address: static settings need both/],
    [{ address: '192.168.1.20', gateway: '192.168.1.1', dns: ['1.1.1.1'] }, /^--address: '192.168.1.20' is not ADDRESS\/PREFIX/],
    [{ address: '192.168.1.0/24', gateway: '192.168.1.1', dns: ['1.1.1.1'] }, /^--address: 192.168.1.0 is the network or broadcast address/],
    [{ address: '192.168.1.255/24', gateway: '192.168.1.1', dns: ['1.1.1.1'] }, /broadcast/],
    [{ address: '192.168.1.20/33', gateway: '192.168.1.1', dns: ['1.1.1.1'] }, /^--address: prefix \/33/],
    [{ address: '192.168.1.20/24', gateway: '192.168.2.1', dns: ['1.1.1.1'] }, /^--gateway: 192.168.2.1 is not inside 192.168.1.20\/24/],
    [{ address: '192.168.1.20/24', gateway: '192.168.1.20', dns: ['1.1.1.1'] }, /^--gateway: is the address itself/],
    [{ address: '192.168.1.20/24', gateway: '192.168.1.1' }, /^--dns: static settings need at least one/],
    [{ address: '127.0.0.2/8', gateway: '127.0.0.1', dns: ['1.1.1.1'] }, /^--address: '127.0.0.2' is not a unicast/],
    [{ mode: 'nat', address: '192.168.1.20/24', gateway: '192.168.1.1' }, /^--address\/--gateway: only for --mode exclusive/],
    [{ dns: ['1.1.1.1', '1.0.0.1', '9.9.9.9', '8.8.8.8'] }, /^--dns: at most 3/],
    [{ dns: ['dns.example'] }, /^--dns\[0\]: 'dns.example' is not an IPv4 address/],
    [{ dns: ['224.0.0.1'] }, /^--dns\[0\]: '224.0.0.1' is not a unicast/],
    [{ gateway: '1.2.3', address: '1.2.3.4/24' }, /^--gateway: '1.2.3'/],
  ];
  for (const [o, re] of bad)
    assert.throws(
      () => parseHostUplinkOptions(o),
      (e: Error & { code?: string }) => re.test(e.message) && e.code === 'ERR_INVALID_VALUE',
      JSON.stringify(o),
    );
});

test('features round trip; a bad stored value names the feature', () => {
  const c = parseHostUplinkOptions({ nic: 'enp3s0', address: '10.0.0.5/24', gateway: '10.0.0.1', dns: ['10.0.0.1'] });
  assert.deepEqual(configFromFeatures('sys-net', configFeatures(c)), c);
  const n = parseHostUplinkOptions({ nic: 'wlan0', mode: 'nat' });
  assert.deepEqual(configFromFeatures('sys-net', configFeatures(n)), n);
  assert.throws(
    () => configFromFeatures('sys-net', { ...configFeatures(n), 'uplink.mode': 'tap' }),
    /host uplink of 'sys-net': feature uplink\.mode: 'tap' is not nat or exclusive/,
  );
  assert.throws(() => configFromFeatures('sys-net', { ...configFeatures(n), 'uplink.nic': '' }), /feature uplink\.nic: not set/);
  assert.throws(() => configFromFeatures('sys-net', { ...configFeatures(c), 'uplink.dns': '10.0.0.1,x' }), /feature uplink\.dns\[1\]/);
});

test('NIC of the default route, from ip -j route output', () => {
  // ip -j -4 route show table main default, as printed by iproute2 6.1
  const laptop = [
    { dst: 'default', gateway: '192.168.1.1', dev: 'wlp2s0', protocol: 'dhcp', prefsrc: '192.168.1.57', metric: 600, flags: [] },
    { dst: 'default', gateway: '10.0.0.1', dev: 'enp0s31f6', protocol: 'dhcp', metric: 100, flags: [] },
  ];
  assert.equal(defaultRouteNic(laptop), 'enp0s31f6');
  assert.deepEqual(
    defaultRoutes(laptop).map((r) => r.dev),
    ['enp0s31f6', 'wlp2s0'],
  );
  assert.equal(defaultRouteNic([{ dst: 'default', gateway: '10.0.0.1', dev: 'eth0', flags: ['onlink'] }]), 'eth0');
  // Cable unplugged: the kernel marks the route linkdown; the Wi-Fi one is used.
  assert.equal(
    defaultRouteNic([
      { dst: 'default', gateway: '10.0.0.1', dev: 'eth0', metric: 100, flags: ['linkdown'] },
      { dst: 'default', gateway: '192.168.1.1', dev: 'wlan0', metric: 600, flags: [] },
    ]),
    'wlan0',
  );
  // Multipath: the first live next hop.
  assert.equal(
    defaultRouteNic([
      {
        dst: 'default',
        flags: [],
        nexthops: [
          { gateway: '10.0.0.1', dev: 'eth0', flags: ['dead'] },
          { gateway: '10.0.1.1', dev: 'eth1', flags: [] },
        ],
      },
    ]),
    'eth1',
  );
  // Equal metrics keep the kernel's order.
  assert.equal(
    defaultRouteNic([
      { dst: 'default', dev: 'a' },
      { dst: 'default', dev: 'b' },
    ]),
    'a',
  );
  for (const none of [
    [],
    '',
    null,
    {},
    [{ dst: '10.0.0.0/8', dev: 'eth0' }],
    [{ dst: 'default', type: 'unreachable', flags: [] }],
    [{ dst: 'default', type: 'blackhole' }],
    [{ dst: 'default', gateway: '10.0.0.1' }],
  ]) {
    assert.equal(defaultRouteNic(none), null, JSON.stringify(none));
  }
});

test('resolvers sys-net can reach: loopback ones are passed over', () => {
  const stub = 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n';
  const upstream =
    '# This is /run/systemd/resolve/resolv.conf\nnameserver 192.168.1.1\nnameserver 192.168.1.1\nnameserver fe80::1%wlan0\nnameserver 9.9.9.9 # quad9\n';
  assert.deepEqual(usableResolvers([undefined, stub]), []);
  assert.deepEqual(usableResolvers([upstream, stub]), ['192.168.1.1', '9.9.9.9']);
  assert.deepEqual(usableResolvers([stub, 'nameserver 10.0.0.1\n']), ['10.0.0.1']);
  assert.deepEqual(usableResolvers(['nameserver 1.1.1.1\nnameserver 1.0.0.1\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n']), ['1.1.1.1', '1.0.0.1', '8.8.8.8']);
  assert.deepEqual(usableResolvers(['#nameserver 1.1.1.1\n nameserver 0.0.0.0\nnameserver 224.0.0.251\n']), []);
});

test('lease from sys-net: checked, bounded, one error each', () => {
  const good = {
    address: '10.201.0.57',
    prefix: 24,
    routers: ['10.201.0.1'],
    dns: ['10.201.0.1', '10.201.0.1', '127.0.0.1'],
    lease: 3600,
    server: ['10.201.0.1'],
  };
  assert.deepEqual(parseLease(`noise\n${JSON.stringify(good)}\n`), { address: '10.201.0.57/24', gateway: '10.201.0.1', dns: ['10.201.0.1'], leaseS: 3600 });
  // No subnet mask: a /32 with the router onlink.
  assert.equal(parseLease(JSON.stringify({ ...good, prefix: null })).address, '10.201.0.57/32');
  assert.deepEqual(parseLease(JSON.stringify({ ...good, dns: [] })).dns, []);
  const bad: [string, RegExp][] = [
    ['', /no lease in its answer/],
    ['{"error": "no DHCP offer on eth0 within 12s"}', /DHCP client in sys-net: no DHCP offer on eth0/],
    [JSON.stringify({ ...good, extra: 1 }), /bad lease/],
    [JSON.stringify({ ...good, routers: Array(9).fill('10.201.0.1') }), /bad lease: routers/],
    [JSON.stringify({ ...good, address: '0.0.0.0' }), /address '0.0.0.0' is not a unicast/],
    [JSON.stringify({ ...good, address: '10.201.0.255' }), /network or broadcast/],
    [JSON.stringify({ ...good, routers: ['10.9.9.9'] }), /no usable router \(10.9.9.9\)/],
    [JSON.stringify({ ...good, routers: [] }), /no usable router \(none given\)/],
    [JSON.stringify({ ...good, address: 'x'.repeat(5000) }), /no lease|bad lease/],
  ];
  for (const [t, re] of bad)
    assert.throws(
      () => parseLease(t),
      (e: Error & { code?: string }) => re.test(e.message) && e.code === 'ERR_NETWORK',
      t.slice(0, 60),
    );
});

test("host nat table: golden text; forwarding opened only for sys-net's link", () => {
  const text = compileHostNatTable({
    table: hostNatTableName('bh12ab'),
    links: [{ veth: 'bh12ab-u3', nic: 'wlp2s0', sysNetAddr: '10.139.254.5' }],
    forwardWasOff: true,
  });
  assert.equal(
    text,
    `table ip bh12ab_uplink
delete table ip bh12ab_uplink
table ip bh12ab_uplink {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "bh12ab-u3" oifname "wlp2s0" ip saddr 10.139.254.5 ct state new,established,related accept
    iifname "wlp2s0" oifname "bh12ab-u3" ip daddr 10.139.254.5 ct state established,related accept
    iifname "bh12ab-u3" drop
    oifname "bh12ab-u3" drop
    drop
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "bh12ab-u3" drop
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.139.254.5 oifname "wlp2s0" masquerade
  }
}
`,
  );
  // Forwarding was on before: the host's own forwarding is left as it was (no final drop).
  const on = compileHostNatTable({ table: 'bh12ab_uplink', links: [{ veth: 'bh12ab-u3', nic: 'eth0', sysNetAddr: '10.139.254.5' }], forwardWasOff: false });
  assert.doesNotMatch(on, /^ {4}drop$/m);
  assert.equal(dropHostNatTable('bh12ab_uplink'), 'table ip bh12ab_uplink\ndelete table ip bh12ab_uplink\n');
  assert.throws(
    () => compileHostNatTable({ table: 'x', links: [{ veth: 'a"b', nic: 'eth0', sysNetAddr: '10.139.254.5' }], forwardWasOff: true }),
    /interface name 'a"b'/,
  );
  assert.throws(() => compileHostNatTable({ table: 'x', links: [{ veth: 'v', nic: 'v', sysNetAddr: '10.139.254.5' }], forwardWasOff: true }), /same interface/);
  assert.throws(() => compileHostNatTable({ table: 'x', links: [{ veth: 'v', nic: 'eth0', sysNetAddr: '10.139.254' }], forwardWasOff: true }), /sysNetAddr/);
  assert.throws(() => hostNatTableName('bh-12'), /table name/);
});

test('lease renewal: at half the lease within bounds; eth0 changes only when the lease does', () => {
  assert.equal(renewalDelayS(3600), 1800);
  assert.equal(renewalDelayS(30), 60);
  assert.equal(renewalDelayS(null), 86_400);
  assert.equal(renewalDelayS(0xffffffff), 86_400);
  assert.equal(renewalDelayS(10 * 86_400), 86_400);
  const a = { address: '10.201.0.57/24', gateway: '10.201.0.1', dns: ['10.201.0.1'], leaseS: 3600 };
  assert.deepEqual(leaseChangeLines('eth0', a, { ...a, dns: ['9.9.9.9'] }), []);
  assert.deepEqual(leaseChangeLines('eth0', a, { ...a, address: '10.201.0.60/24' }), [
    'address add 10.201.0.60/24 dev eth0',
    'address del 10.201.0.57/24 dev eth0',
    'route replace default via 10.201.0.1 dev eth0 onlink',
  ]);
  assert.deepEqual(leaseChangeLines('eth0', a, { ...a, gateway: '10.201.0.254' }), ['route replace default via 10.201.0.254 dev eth0 onlink']);
});

// Public surface of uplink/: the host uplink's pure parts (settings, NIC choice, resolvers, lease, host nft table).
export * from './config.js';
export * from './nic.js';
export * from './resolv.js';
export * from './lease.js';
export * from './nat-table.js';
export * from './renewal.js';

// Public surface of net/: namespaces, veth links, addresses and routes, link inventory.
export * from './names.js';
export * from './batch.js';
export * from './netns.js';
export * from './link.js';
export * from './addresses.js';
export * from './inventory.js';

// Where a qube sees the admin's RPC sockets, tools and services (its mount points; pure).
export const IN_QUBE = { rpc: '/run/bulkhead/rpc', bin: '/run/bulkhead/bin', services: '/run/bulkhead/qubes-rpc' } as const;

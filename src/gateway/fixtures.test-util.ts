// Inputs shared by the gateway tests: n workstations with Whonix's identical addresses, fake lab authorities.
import type { GatewayInput, WorkstationLink } from './types.js';

export const FP = 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
export const DIRAUTH = `auth1 orport=5001 v3ident=${FP} 10.99.0.1:7001 ${FP}`;
/** A fixed HashedControlPassword (the hash of a throwaway password under a zero salt). */
export const PW_HASH = '16:0000000000000000604E6D9540B52F7F049DC0F3F136971CBF1458E18E';
export const BRIDGE = `obfs4 10.99.0.9:9443 ${FP} cert=AAAAbbbbCCCC+/ddEEff iat-mode=0`;

export function links(n: number): WorkstationLink[] {
  return Array.from({ length: n }, (_, k) => ({
    name: `anon-${k}`,
    ifname: `vif${k}`,
    gatewayAddr: '10.152.152.10',
    workstationAddr: '10.152.152.11',
    slot: k,
  }));
}

export function labInput(n = 1, extra: Partial<GatewayInput> = {}): GatewayInput {
  return {
    network: 'lab',
    workstations: links(n),
    dirAuthorities: [DIRAUTH],
    dataDir: '/var/lib/bulkhead-tor',
    torUid: 101,
    uplink: 'eth0',
    geoipFile: '/etc/bulkhead/empty',
    controlPasswordHash: PW_HASH,
    ...extra,
  };
}

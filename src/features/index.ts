// The features of bulkhead, in the order their hooks run; the daemon loads this list and the core never imports a feature.
import type { FeatureFactory } from '../daemon/feature.js';
import { network } from './network/index.js';
import { whonix } from './whonix/index.js';
import { rpc } from './rpc/index.js';
import { backup } from './backup/feature.js';
import { forensicsResidue } from './forensics/feature.js';
import { desktop } from './desktop/index.js';

/**
 * Order matters: the network feature makes a qube's namespace and links before the gateway feature
 * looks at a gateway's or a workstation's; RPC sockets come next; the desktop (displays) uses the RPC broker's disposables; forensics (residue proof,
 * acquisition) uses the RPC broker; backups add routes only. Vetoes (the gateway's network profile,
 * amnesic disposables over unencrypted swap) run before every feature's hooks.
 */
export const FEATURES: readonly FeatureFactory[] = [network, whonix, rpc, desktop, forensicsResidue, backup];

// init --uplink host: the host uplink's settings checked against the host side now, and the sys-net features that hold them.
import { BulkheadError } from '../../errors/index.js';
import type { DaemonContext } from '../context.js';
import { configFeatures, defaultRouteNic, describeConfig, parseHostUplinkOptions, type HostUplinkOptions } from '../../uplink/index.js';
import { checkHostSide, checkNicFree, describeHost, hostIpJson, hostSide, readNic } from '../../net/host-uplink/index.js';

export type { HostUplinkOptions };

/**
 * Validate the options, refuse a host side that is the lab, choose the NIC (the one of the host's
 * default route unless given), refuse one that is missing or held by a running sys-net.
 */
export async function hostUplinkFeatures(ctx: DaemonContext, o: HostUplinkOptions): Promise<{ features: Record<string, string>; text: string }> {
  const cfg = parseHostUplinkOptions(o);
  const side = hostSide();
  await checkHostSide(ctx.paths.home, ctx.prefix, side);
  let nic = cfg.nic;
  if (nic === null) {
    nic = defaultRouteNic(await hostIpJson(side, ['-4', 'route', 'show', 'table', 'main', 'default']));
    if (nic === null)
      throw new BulkheadError(
        'ERR_NETWORK',
        `${describeHost(side)} has no default route, so there is no NIC to use; connect the host first or name one: --nic IFACE`,
      );
  }
  await checkNicFree({ runDir: ctx.paths.runDir, prefix: ctx.prefix }, side, nic, null);
  if (!(await readNic(side, nic))) throw new BulkheadError('ERR_NETWORK', `--nic: ${describeHost(side)} has no interface ${nic}`);
  const full = { ...cfg, nic };
  return { features: { uplink: 'host', ...configFeatures(full) }, text: describeConfig(full) };
}

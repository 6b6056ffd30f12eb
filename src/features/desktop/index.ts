// Public surface of features/desktop: each qube's display (Xvfb and its agent), the hub that relays it, its routes.
import type { Feature, FeatureFactory } from '../../daemon/feature.js';
import { brokerOf } from '../rpc/index.js';
import { displayHub } from './hub.js';
import { desktopRoutes } from './routes.js';
import { displayStreamRoute } from './stream.js';

export { displayHub, type DisplayHub, type DisplayClient, type Attachment, type DisplayInfo } from './hub.js';

/** A display per qube on demand, stopped with the qube; a disposable made by a qube with a display gets one too (qvm-open-in-dvm). */
export const desktop: FeatureFactory = (ctx): Feature => {
  const hub = displayHub(ctx);
  brokerOf(ctx)?.onDispvm.push(async (source, target) => {
    if (!hub.has(source)) return;
    await hub.ensure(target).catch((e: unknown) => ctx.log.warn({ err: e, qube: target }, 'display of a disposable did not start'));
  });
  return {
    name: 'desktop',
    hooks: [
      {
        async postStop(_ctx, name) {
          hub.stop(name, 'the qube stopped');
        },
      },
    ],
    routes: [desktopRoutes, displayStreamRoute],
  };
};

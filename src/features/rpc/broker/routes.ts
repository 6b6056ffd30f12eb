// Admin API routes of the broker: pending asks and their answers, the global clipboard.
import type { FastifyInstance } from 'fastify';
import { answerBody, askParams, clipboardBody as qubeBody } from '../../../contract/rpc.js';
import type { Broker } from './broker.js';

export function rpcRoutes(broker: Broker) {
  return (app: FastifyInstance): void => {
    app.get('/rpc/pending', async () => ({ pending: broker.asks.list() }));
    app.post('/rpc/pending/:id', async (req) => {
      const { id } = askParams.parse(req.params);
      const body = answerBody.parse(req.body);
      const ask = broker.asks.answer(id, body.answer, body.target);
      return { id: ask.id, answer: body.answer, target: body.answer === 'allow' ? (body.target ?? ask.defaultTarget ?? ask.candidates[0]) : null };
    });
    app.get('/clipboard', async () => broker.clipboard.status());
    app.post('/clipboard/copy', async (req) => broker.clipboard.copy(qubeBody.parse(req.body).qube));
    app.post('/clipboard/paste', async (req) => broker.clipboard.paste(qubeBody.parse(req.body).qube));
    app.get('/rpc/policy', async () => {
      const s = broker.policy.status();
      return { ok: s.state !== 'denying', ...s };
    });
  };
}

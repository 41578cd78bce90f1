import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtspHeaders, type RtspRequest } from '../../../../server/src/rtsp/message.js';
import { chainHooks, chainPacketHooks, type DeliveryInfo, type RequestContext, type RequestHook } from '../../../../server/src/rtsp/server/ServerHooks.js';
import { response, type ServerResponse } from '../../../../server/src/rtsp/server/ServerResponse.js';

const req: RtspRequest = { kind: 'request', method: 'DESCRIBE', uri: 'rtsp://h/cam', version: 'RTSP/1.0', headers: new RtspHeaders({ CSeq: '1' }), body: Buffer.alloc(0) };
const ctx = {} as RequestContext;

test('chainHooks: hooks run in order around the server; undefined means "whatever next gives"', async () => {
  const order: string[] = [];
  const hooks: RequestHook[] = [
    () => {
      order.push('a');
      return undefined;
    },
    async (_r, _c, next) => {
      order.push('b');
      const res = await next();
      res?.headers.set('X-B', '1');
      return res;
    },
  ];
  const res = await chainHooks(hooks, req, ctx, async () => {
    order.push('server');
    return response(200);
  });
  assert.deepEqual(order, ['a', 'b', 'server']);
  assert.equal(res?.status, 200);
  assert.equal(res?.headers.get('X-B'), '1');
});

test('chainHooks: an answer or null stops the chain; next() called twice runs the rest once', async () => {
  let server = 0;
  const last = async (): Promise<ServerResponse> => {
    server++;
    return response(200);
  };
  assert.equal((await chainHooks([() => response(401)], req, ctx, last))?.status, 401);
  assert.equal(await chainHooks([() => null], req, ctx, last), null);
  assert.equal(server, 0);
  const twice: RequestHook = async (_r, _c, next) => {
    await next();
    return undefined;
  };
  assert.equal((await chainHooks([twice], req, ctx, last))?.status, 200);
  assert.equal(server, 1);
});

test('chainPacketHooks: the first hook\'s filter feeds the second, then the delivery; hooks without a filter are skipped', () => {
  const out: string[] = [];
  const info = { trackIndex: 0 } as DeliveryInfo;
  const send = chainPacketHooks([
    () => (p, next) => next(Buffer.concat([p, Buffer.from('1')])),
    () => undefined,
    () => (p, next) => {
      next(Buffer.concat([p, Buffer.from('2')]));
      next(Buffer.concat([p, Buffer.from('3')]));
    },
  ], info, (p) => out.push(p.toString()));
  send(Buffer.from('x'));
  assert.deepEqual(out, ['x12', 'x13']);
  const plain = (p: Buffer) => out.push(p.toString());
  assert.equal(chainPacketHooks([], info, plain), plain, 'no hooks: the delivery itself, nothing in between');
});

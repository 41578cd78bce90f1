/**
 * Cluster peers on the restream (docs/cluster.md): with an auth section, another node reads a camera
 * with a peer credential signed with the cluster secret, for that camera only, and only from the
 * node that owns the camera (503 otherwise: relays never chain). A forged or foreign credential is
 * refused like a wrong password, and never counts as a login attempt.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../../server/src/auth/passwordHash.js';
import { CameraConfigSchema } from '../../../server/src/config/Config.js';
import { PEER_USER, PeerCredential, isPeerCredential } from '../../../server/src/cluster/PeerCredential.js';
import { RtspTestClient } from '../../helpers/rtspTestClient.js';
import { framesWithin, playCamera, startRig, type Rig } from './restreamRig.js';

const SECRET = 'the-cluster-secret-0123456789';
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('cluster peers on the restream', () => {
  let rig: Rig;
  const owned = new Set(['front']);
  const peers = new PeerCredential(SECRET);

  before(async () => {
    const hash = await hashPassword('alice-pw', 'scrypt');
    rig = await startRig({
      auth: { users: [{ name: 'alice', passwordHash: hash, permissions: { view: ['front'] } }] },
      restream: {
        peers: {
          param: 'peer',
          isCredential: isPeerCredential,
          principal: (credential, camera) => {
            const claim = peers.verify(credential, camera);
            return claim && { kind: 'token', name: `cluster:${claim.node}`, permissions: { view: [camera] } };
          },
          owns: (camera) => owned.has(camera),
        },
      },
    });
    rig.cameras.add(CameraConfigSchema.parse({ name: 'yard', url: rig.cameraUrl, transport: 'tcp', idleTimeoutMs: 100 }));
  });
  after(async () => {
    await rig.close();
  });

  async function describeAs(camera: string, authorization: string | undefined, query = ''): Promise<number> {
    const client = await RtspTestClient.connect(rig.port);
    try {
      return (await client.request('DESCRIBE', `rtsp://127.0.0.1:${rig.port}/${camera}${query}`, authorization ? { Authorization: authorization } : {})).status;
    } finally {
      client.close();
    }
  }

  it('a peer reads a camera this node owns with its credential, and plays it', async () => {
    const credential = peers.mint('node2', 'front');
    assert.equal(await describeAs('front', basic(PEER_USER, credential), '?peer=node2'), 200);
    const p = await playCamera(rig.port, 'front', { Authorization: basic(PEER_USER, credential) });
    try {
      assert.equal((await framesWithin(p.client, 0, 3)).length, 3);
    } finally {
      p.client.close();
    }
  });

  it('the credential is for its camera only; forged, expired or foreign ones are refused, and do not count as failed logins', async () => {
    owned.add('yard');
    assert.equal(await describeAs('yard', basic(PEER_USER, peers.mint('node2', 'front')), '?peer=node2'), 401);
    assert.equal(await describeAs('front', basic(PEER_USER, peers.mint('node2', 'front', Date.now() - 7_200_000))), 401);
    assert.equal(await describeAs('front', basic(PEER_USER, new PeerCredential('another-secret-0123456789').mint('node2', 'front'))), 401);
    for (let i = 0; i < 12; i++) assert.equal(await describeAs('front', basic(PEER_USER, `${peers.mint('node2', 'front')}x`)), 401);
    // Many refused peer credentials later, a user's login is not throttled.
    assert.equal(await describeAs('front', basic('alice', 'alice-pw')), 200);
  });

  it('a relay of a camera this node does not own is refused with 503 (relays never chain); users are served as usual', async () => {
    owned.delete('front');
    assert.equal(await describeAs('front', basic(PEER_USER, peers.mint('node2', 'front')), '?peer=node2'), 503);
    assert.equal(await describeAs('front', basic('alice', 'alice-pw')), 200);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AccessPolicy, watchAction } from '../../../server/src/auth/AccessPolicy.js';
import { globMatches, permits, PermissionsSchema, unitePermissions } from '../../../server/src/auth/permissions.js';
import { assertFast, runs } from '../../helpers/property.js';

/** The reference: a glob as an anchored regular expression (fine for the short names generated here). */
function reference(glob: string, name: string): boolean {
  const source = glob.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(name);
}

describe('camera globs', () => {
  it('match like an anchored * / ? pattern', () => {
    assert.equal(globMatches('front', 'front'), true);
    assert.equal(globMatches('front', 'front2'), false);
    assert.equal(globMatches('yard-*', 'yard-east'), true);
    assert.equal(globMatches('yard-*', 'yard'), false);
    assert.equal(globMatches('*', ''), true);
    assert.equal(globMatches('cam?', 'cam1'), true);
    assert.equal(globMatches('cam?', 'cam10'), false);
    assert.equal(globMatches('*a*b', 'xaxxb'), true);
  });

  it('agree with a regular-expression reference on arbitrary globs and names (fast-check)', () => {
    const chars = fc.constantFrom('a', 'b', '-', '.', '*', '?');
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 10 }), fc.string({ unit: fc.constantFrom('a', 'b', '-', '.'), maxLength: 12 }), (glob, name) => {
        assert.equal(globMatches(glob, name), reference(glob, name));
      }),
      { numRuns: runs(2000) },
    );
  });

  it('a hostile glob against a long name stays fast (no backtracking blow-up)', () => {
    assertFast('64-char glob of stars', 50, () => globMatches('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(64)));
  });
});

describe('permissions', () => {
  it('true means every camera and false none; unknown actions are refused by the schema', () => {
    assert.deepEqual(PermissionsSchema.parse({ view: true, admin: false, playback: ['front'] }), { view: ['*'], admin: [], playback: ['front'] });
    assert.equal(PermissionsSchema.safeParse({ veiw: ['*'] }).success, false);
    assert.equal(PermissionsSchema.safeParse({ view: ['../etc'] }).success, false);
  });

  it('permits an action on a camera only through a glob for that action', () => {
    const p = PermissionsSchema.parse({ view: ['front', 'yard-*'], admin: true });
    assert.equal(permits(p, 'view', 'front'), true);
    assert.equal(permits(p, 'view', 'yard-2'), true);
    assert.equal(permits(p, 'playback', 'front'), false);
    assert.equal(permits(p, 'admin'), true);
    assert.equal(permits(p, 'metrics'), false);
    assert.deepEqual(unitePermissions({ view: ['a'] }, { view: ['a', 'b'], talk: ['c'] }), { view: ['a', 'b'], talk: ['c'] });
  });
});

describe('AccessPolicy', () => {
  const alice = { kind: 'user' as const, name: 'alice', permissions: { view: ['front'] } };

  it('without an auth section: anyone watches; admin and metrics only from loopback', () => {
    const open = AccessPolicy.open();
    const remote = open.anonymous('192.0.2.7');
    assert.equal(open.allows(remote, 'view', 'anything'), true);
    assert.equal(open.allows(remote, 'playback', 'nvr'), true);
    assert.deepEqual(open.decide(remote, 'admin'), { allowed: false, status: 401, code: 'ERR_AUTH_REQUIRED', message: 'log in to administer this server' });
    for (const loopback of ['127.0.0.1', '::1', '::ffff:127.0.0.5']) {
      assert.equal(open.allows(open.anonymous(loopback), 'admin'), true, loopback);
      assert.equal(open.allows(open.anonymous(loopback), 'metrics'), true, loopback);
    }
  });

  it('with an auth section nothing is open unless `anonymous` says so, loopback included', () => {
    const policy = new AccessPolicy({ enabled: true, anonymous: { view: ['lobby'] } });
    const local = policy.anonymous('127.0.0.1');
    assert.equal(policy.allows(local, 'view', 'lobby'), true);
    assert.equal(policy.allows(local, 'admin'), false);
    assert.equal(policy.decide(local, 'view', 'front').allowed, false);
  });

  it('refusals say what was refused: "log in to" for anonymous, "not allowed to" for a user', () => {
    const policy = new AccessPolicy({ enabled: true });
    assert.deepEqual(policy.decide(policy.anonymous(undefined), 'view', 'front'), { allowed: false, status: 401, code: 'ERR_AUTH_REQUIRED', message: 'log in to watch front' });
    assert.deepEqual(policy.decide(alice, 'view', 'yard'), { allowed: false, status: 403, code: 'ERR_FORBIDDEN', message: 'not allowed to watch yard' });
    assert.deepEqual(policy.decide(alice, 'playback', 'front'), { allowed: false, status: 403, code: 'ERR_FORBIDDEN', message: 'not allowed to play back front' });
    assert.equal(policy.allows(alice, 'view', 'front'), true);
  });

  it('a token bound to an origin is refused on pages of another origin, and an expired one everywhere', () => {
    const policy = new AccessPolicy({ enabled: true });
    const token = { kind: 'token' as const, permissions: { view: ['front'] }, origin: 'https://shop.example' };
    assert.equal(policy.allows(token, 'view', 'front', { origin: 'https://shop.example' }), true);
    assert.equal(policy.allows(token, 'view', 'front', {}), true, 'no Origin: not a browser page, the binding does not apply');
    const other = policy.decide(token, 'view', 'front', { origin: 'https://evil.example' });
    assert.equal(other.allowed, false);
    assert.match(!other.allowed ? other.message : '', /this token is for pages on https:\/\/shop\.example/);
    const expired = policy.decide({ ...token, origin: undefined, expiresAt: Date.now() - 1 }, 'view', 'front');
    assert.equal(!expired.allowed && expired.code, 'ERR_AUTH_INVALID');
  });

  it('watching a recording is playback, a live camera view', () => {
    assert.equal(watchAction({ seekable: true }), 'playback');
    assert.equal(watchAction({ seekable: false }), 'view');
  });
});

describe('loopback rights behind a reverse proxy', () => {
  it('a loopback request that came through a proxy gets no admin or metrics without an auth section', () => {
    const open = AccessPolicy.open();
    assert.equal(open.allows(open.anonymous('127.0.0.1', true), 'admin'), false);
    assert.equal(open.allows(open.anonymous('127.0.0.1', true), 'metrics'), false);
    assert.equal(open.allows(open.anonymous('127.0.0.1', true), 'view', 'front'), true);
  });
});

/**
 * LoginSessions: what a session cookie stands for and when it stops standing for it (idle time, the
 * absolute maximum, logout, the cap, the user leaving the configuration). The clock is injected.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionCookie } from '../../../server/src/auth/Authenticator.js';
import { LoginSessions } from '../../../server/src/auth/LoginSessions.js';
import type { Principal } from '../../../server/src/auth/Principal.js';

function directory(names: string[]): { names: Set<string>; principal(name: string): Principal | undefined } {
  const set = new Set(names);
  return {
    names: set,
    principal: (name) => (set.has(name) ? { kind: 'user', name, permissions: { view: [`${name}-*`] } } : undefined),
  };
}

function sessions(options: { idleSeconds?: number; maxAgeSeconds?: number; maxSessions?: number } = {}) {
  const clock = { now: 1_000_000 };
  const users = directory(['alice', 'bob']);
  const store = new LoginSessions({ users, now: () => clock.now, ...options });
  return { store, clock, users };
}

describe('LoginSessions', () => {
  it('an id is 32 random bytes in base64url, accepted by the cookie parser, different at each login', () => {
    const { store } = sessions();
    const ids = new Set(Array.from({ length: 100 }, () => store.create('alice')));
    assert.equal(ids.size, 100);
    for (const id of ids) {
      assert.match(id, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(id, 'base64url').length, 32);
      assert.equal(sessionCookie(`other=1; camrtc_session=${id}`), id);
    }
    store.close();
  });

  it("a live session is its user's principal, read from the directory at each use", () => {
    const { store } = sessions();
    const id = store.create('alice');
    assert.deepEqual(store.principal(id), { kind: 'user', name: 'alice', permissions: { view: ['alice-*'] } });
    assert.equal(store.principal('x'.repeat(43)), undefined, 'an unknown id is nobody');
    store.close();
  });

  it('a session unused for the idle time ends; each use starts the idle time again', () => {
    const { store, clock } = sessions({ idleSeconds: 600 });
    const id = store.create('alice');
    clock.now += 599_000;
    assert.ok(store.principal(id), 'used just before the idle time');
    clock.now += 599_000;
    assert.ok(store.principal(id), 'the use restarted the idle time');
    clock.now += 600_000;
    assert.equal(store.principal(id), undefined);
    assert.equal(store.size, 0, 'the ended session is dropped');
    store.close();
  });

  it('a session ends at its maximum age however often it is used', () => {
    const { store, clock } = sessions({ idleSeconds: 3600, maxAgeSeconds: 4 * 3600 });
    const id = store.create('alice');
    for (let i = 0; i < 7; i++) {
      clock.now += 1800_000;
      assert.ok(store.principal(id), `use ${i}`);
    }
    clock.now += 1800_000;
    assert.equal(store.principal(id), undefined);
    assert.equal(store.cookieMaxAgeSeconds, 4 * 3600);
    store.close();
  });

  it('logout ends exactly that session', () => {
    const { store } = sessions();
    const a = store.create('alice');
    const b = store.create('alice');
    assert.equal(store.logout(a), true);
    assert.equal(store.logout(a), false, 'a second logout finds nothing');
    assert.equal(store.principal(a), undefined);
    assert.ok(store.principal(b), "the user's other session (another browser) lives on");
    store.close();
  });

  it('a user removed from the directory loses their sessions', () => {
    const { store, users } = sessions();
    const id = store.create('bob');
    users.names.delete('bob');
    assert.equal(store.principal(id), undefined);
    users.names.add('bob');
    assert.equal(store.principal(id), undefined, 'the session is gone, not only hidden');
    store.close();
  });

  it('past the cap, a new login pushes out the oldest session', () => {
    const { store, clock } = sessions({ maxSessions: 3 });
    const ids = ['alice', 'bob', 'alice'].map((u) => {
      clock.now += 1000;
      return store.create(u);
    });
    // Using the oldest does not save it: the cap goes by login order.
    assert.ok(store.principal(ids[0]!));
    const fourth = store.create('bob');
    assert.equal(store.size, 3);
    assert.equal(store.principal(ids[0]!), undefined);
    for (const id of [ids[1]!, ids[2]!, fourth]) assert.ok(store.principal(id));
    store.close();
  });

  it('sweep drops ended sessions without being asked for them; close ends every session', () => {
    const { store, clock } = sessions({ idleSeconds: 60 });
    store.create('alice');
    const live = store.create('bob');
    clock.now += 30_000;
    store.principal(live);
    clock.now += 40_000;
    store.sweep();
    assert.equal(store.size, 1);
    store.close();
    assert.equal(store.size, 0);
    assert.equal(store.principal(live), undefined);
  });
});

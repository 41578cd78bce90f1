import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, passwordHashProblem, verifyPassword } from '../../../server/src/auth/passwordHash.js';
import { UserDirectory } from '../../../server/src/auth/UserDirectory.js';
import { Authenticator, sessionCookie } from '../../../server/src/auth/Authenticator.js';
import { AccessPolicy } from '../../../server/src/auth/AccessPolicy.js';
import { CamrtcError } from '../../../server/src/errors.js';

describe('password hashes', () => {
  it('argon2id and scrypt hashes verify their password and no other', async () => {
    for (const algorithm of ['argon2id', 'scrypt'] as const) {
      const hash = await hashPassword('s3cret: with spaces & ünïcode', algorithm);
      assert.match(hash, algorithm === 'argon2id' ? /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/ : /^\$scrypt\$ln=17,r=8,p=1\$/);
      assert.equal(passwordHashProblem(hash), undefined);
      assert.equal(await verifyPassword(hash, 's3cret: with spaces & ünïcode'), true);
      assert.equal(await verifyPassword(hash, 's3cret: with spaces & unicode'), false);
      assert.notEqual(await hashPassword('x', algorithm), await hashPassword('x', algorithm), 'salted');
    }
  });

  it('a password where a hash belongs is refused without being quoted', () => {
    const problem = passwordHashProblem('hunter2');
    assert.match(problem ?? '', /camrtc hash-password/);
    assert.doesNotMatch(problem ?? '', /hunter2/);
    assert.match(passwordHashProblem('$scrypt$ln=40,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA') ?? '', /ln must be/);
  });

  it('a malformed hash never verifies and never throws', async () => {
    assert.equal(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$!!$!!', 'x'), false);
    assert.equal(await verifyPassword('$scrypt$ln=4,r=8,p=1$AAAA$AAAA', 'x'), false);
  });
});

describe('Authenticator', () => {
  const policy = new AccessPolicy({ enabled: true });
  const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('Basic proves a configured user; a wrong name or password fails alike', async () => {
    const users = new UserDirectory([{ name: 'alice', passwordHash: await hashPassword('pw', 'scrypt'), permissions: { view: ['*'] } }]);
    const auth = new Authenticator({ policy, users });
    assert.deepEqual(await auth.authenticate({ authorization: basic('alice', 'pw') }), { kind: 'user', name: 'alice', permissions: { view: ['*'] } });
    for (const authorization of [basic('alice', 'nope'), basic('bob', 'pw'), 'Basic !!!', 'Basic ' + Buffer.from('nocolon').toString('base64')]) {
      await assert.rejects(auth.authenticate({ authorization }), (err: CamrtcError) => err.code === 'ERR_AUTH_INVALID');
    }
    await assert.rejects(auth.authenticate({ authorization: 'Negotiate abc' }), /not supported/);
    assert.equal((await auth.authenticate({})).kind, 'anonymous');
  });

  it('a token where the server takes none is an error, not anonymous', async () => {
    const auth = new Authenticator({ policy });
    await assert.rejects(auth.authenticate({ token: 'x' }), (err: CamrtcError) => err.code === 'ERR_AUTH_INVALID' && /accepts no tokens/.test(err.message));
    await assert.rejects(auth.authenticate({ authorization: 'Bearer x' }), /accepts no tokens/);
  });

  it('reads the session cookie among others, and ignores a malformed one', () => {
    const id = 'A'.repeat(43);
    assert.equal(sessionCookie(`a=b; camrtc_session=${id}; c=d`), id);
    assert.equal(sessionCookie('camrtc_session=short'), undefined);
    assert.equal(sessionCookie('camrtc_session=<script>aaaaaaaaaaaaaaaaaa'), undefined);
    assert.equal(sessionCookie(undefined), undefined);
  });
});

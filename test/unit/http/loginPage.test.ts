/**
 * Where a login sends the browser afterwards (`next`): only a path on this server, never another site
 * however the URL is dressed up (open redirect); and the login page's only echoed value is escaped.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderLoginPage, safeNextPath } from '../../../server/src/http/loginPage.js';
import { isOwnOrigin } from '../../../server/src/http/loginRoutes.js';

describe('safeNextPath', () => {
  it('keeps a path on this server with its query and fragment', () => {
    for (const path of ['/', '/camera/front', '/camera/front?stats=1', '/camera/a.b-c_d#x', '/embed', '/%0a']) assert.equal(safeNextPath(path), path);
    assert.equal(safeNextPath('/camera/../embed'), '/embed', 'normalised as the browser would');
  });

  it('refuses anything that a browser would take to another site', () => {
    const hostile = [
      '//evil.example', '//evil.example/camera', '///evil.example', '/\\evil.example', '\\\\evil.example', '/\\/evil.example',
      'https://evil.example', 'http:evil.example', 'javascript:alert(1)', 'data:text/html,x', 'evil.example',
      ' /camera', '/\t/evil.example', '/\n/evil.example', '/\r/evil.example', '/\u0000', '',
    ];
    for (const next of hostile) assert.equal(safeNextPath(next), '/', JSON.stringify(next));
  });

  it('refuses what is not a string, is too long, or leads back to the login', () => {
    for (const next of [undefined, null, 42, ['/camera'], { a: 1 }]) assert.equal(safeNextPath(next), '/');
    assert.equal(safeNextPath(`/${'a'.repeat(3000)}`), '/');
    assert.equal(safeNextPath('/login?next=/x'), '/');
    assert.equal(safeNextPath('/logout'), '/');
  });
});

describe('renderLoginPage', () => {
  it('escapes next and the message', () => {
    const html = renderLoginPage({ next: '/x"><script>alert(1)</script>', error: '<b>no</b>' });
    assert.doesNotMatch(html, /<script>|<b>/);
    assert.match(html, /value="\/x&#34;&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62;"/);
  });
});

describe('isOwnOrigin', () => {
  it('is the same scheme-less host and port as the Host header, never "null"', () => {
    assert.equal(isOwnOrigin('http://127.0.0.1:8080', '127.0.0.1:8080'), true);
    assert.equal(isOwnOrigin('https://Cams.Example.org', 'cams.example.org'), true);
    assert.equal(isOwnOrigin('http://[::1]:8080', '[::1]:8080'), true);
    assert.equal(isOwnOrigin('http://127.0.0.1:8081', '127.0.0.1:8080'), false);
    assert.equal(isOwnOrigin('http://evil.example', 'cams.example.org'), false);
    assert.equal(isOwnOrigin('null', 'null'), false);
    assert.equal(isOwnOrigin('file://', ''), false);
    assert.equal(isOwnOrigin('http://a', undefined), false);
  });
});

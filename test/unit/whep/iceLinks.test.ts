/** WHEP's ICE servers as Link headers (RFC 9725 4.6): one per URL, credentials quoted, nothing that breaks a header. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { iceLinkHeaders } from '../../../server/src/whep/iceLinks.js';

describe('WHEP ice-server Link headers', () => {
  it('a STUN server, and a TURN server with two URLs and its credential', () => {
    const links = iceLinkHeaders({
      iceServers: [
        { urls: 'stun:stun.example.net' },
        { urls: ['turn:turn.example.net?transport=udp', 'turns:turn.example.net:5349'], username: '1767225600:user:alice', credential: 'NHItCB1L54z4J0PdCjZRvZ6oNFA=' },
      ],
      iceTransportPolicy: 'relay',
    });
    assert.deepEqual(links, [
      '<stun:stun.example.net>; rel="ice-server"',
      '<turn:turn.example.net?transport=udp>; rel="ice-server"; username="1767225600:user:alice"; credential="NHItCB1L54z4J0PdCjZRvZ6oNFA="; credential-type="password"',
      '<turns:turn.example.net:5349>; rel="ice-server"; username="1767225600:user:alice"; credential="NHItCB1L54z4J0PdCjZRvZ6oNFA="; credential-type="password"',
    ]);
  });

  it('quotes and backslashes are escaped; a value no header can carry leaves its server out', () => {
    assert.deepEqual(iceLinkHeaders({ iceServers: [{ urls: 'turn:t.example', username: 'a"b\\c', credential: 'p' }] }), [
      '<turn:t.example>; rel="ice-server"; username="a\\"b\\\\c"; credential="p"; credential-type="password"',
    ]);
    assert.deepEqual(iceLinkHeaders({ iceServers: [{ urls: 'turn:t.example', username: 'u\r\nX-Injected: 1', credential: 'p' }] }), []);
    assert.deepEqual(iceLinkHeaders({ iceServers: [{ urls: 'turn:t.example', username: 'ü', credential: 'p' }] }), []);
    assert.deepEqual(iceLinkHeaders({ iceServers: [{ urls: ['turn:a>b', 'turn:ok.example', 'turn:sp ace'] }] }), ['<turn:ok.example>; rel="ice-server"']);
  });

  it('nothing configured: no Link header', () => {
    assert.deepEqual(iceLinkHeaders(undefined), []);
    assert.deepEqual(iceLinkHeaders({ iceServers: [] }), []);
  });
});

/**
 * The ICE servers of a WHEP session as `Link` header values (RFC 9725 section 4.6, RFC 8288):
 *
 *   Link: <stun:stun.example.net>; rel="ice-server"
 *   Link: <turn:turn.example.net?transport=udp>; rel="ice-server"; username="user"; credential="pw"; credential-type="password"
 *
 * One value per URL. A WHEP client that POSTs its offer before setLocalDescription (its candidates
 * not gathered yet) applies them with setConfiguration() first. The ICE transport policy has no
 * header in WHEP and is not sent.
 */
import type { IceConfig } from '../../../shared/protocol.js';

/** What may stand between < and >: visible ASCII without <, > or whitespace. */
const LINK_TARGET = /^[!-;=?-~]+$/;
/** What a quoted-string carries here: printable ASCII (the quote and backslash are escaped). */
const QUOTABLE = /^[ -~]*$/;

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * The Link header values for `ice`. A URL, username or credential that cannot be written in a header
 * (control characters, non-ASCII, `<` or `>` in a URL) leaves that server out rather than break the
 * response: the configuration's checks keep such values out in the first place.
 */
export function iceLinkHeaders(ice: IceConfig | undefined): string[] {
  const links: string[] = [];
  for (const server of ice?.iceServers ?? []) {
    const { username, credential } = server;
    if ((username !== undefined && !QUOTABLE.test(username)) || (credential !== undefined && !QUOTABLE.test(credential))) continue;
    const auth =
      username !== undefined && credential !== undefined
        ? `; username=${quoted(username)}; credential=${quoted(credential)}; credential-type="password"`
        : '';
    for (const url of Array.isArray(server.urls) ? server.urls : [server.urls]) {
      if (LINK_TARGET.test(url)) links.push(`<${url}>; rel="ice-server"${auth}`);
    }
  }
  return links;
}

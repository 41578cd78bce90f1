/**
 * Remote ICE candidates as the browser trickles them (the `candidate` attribute text of RFC 8839).
 */

/**
 * Whether the candidate's address is an mDNS name (`<uuid>.local`): Chromium and Safari hide host
 * addresses that way by default. werift would resolve it with a multicast query that waits up to
 * 10 s, one per connection; the server needs no name, since the browser's own connectivity checks
 * bring its address as a peer-reflexive candidate (RFC 8445 §7.3.1.3), which is how the connection
 * comes up either way. Field 5 of `foundation component transport priority address port typ …`.
 */
export function isMdnsCandidate(candidate: string): boolean {
  const address = candidate.trim().split(/\s+/)[4];
  return address !== undefined && address.toLowerCase().endsWith('.local');
}

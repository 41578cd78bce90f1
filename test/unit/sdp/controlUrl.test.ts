import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOtherHost, onSameHost, resolveControl, splitRtspUrl } from '../../../server/src/sdp/controlUrl.js';
import { CamrtcError } from '../../../server/src/errors.js';

// [name, base, control, expected URL or 'error']
const CASES: Array<[string, string, string | undefined, string]> = [
  ['relative control appended to a base without slash', 'rtsp://cam/live/ch1', 'trackID=1', 'rtsp://cam/live/ch1/trackID=1'],
  ['relative control appended to a base ending in slash (hikvision)', 'rtsp://cam:554/Streaming/channels/101/', 'trackID=1', 'rtsp://cam:554/Streaming/channels/101/trackID=1'],
  ['control starting with ? joins the query', 'rtsp://cam/onvif', '?ctype=video', 'rtsp://cam/onvif?ctype=video'],
  ['base with a query: appended after it, as gortsplib does', 'rtsp://cam/x?a=b', 'track1', 'rtsp://cam/x?a=b/track1'],
  ['control with an absolute path replaces the path', 'rtsp://cam/x/y', '/z/track1', 'rtsp://cam/z/track1'],
  ['* is the base', 'rtsp://cam/x', '*', 'rtsp://cam/x'],
  ['missing is the base', 'rtsp://cam/x', undefined, 'rtsp://cam/x'],
  ['absolute on the same host, default port written out', 'rtsp://cam/x', 'rtsp://CAM:554/x/track1', 'rtsp://cam/x/track1'],
  ['absolute with query (bosch)', 'rtsp://10.100.14.102:554/?inst=2&h26x=4', 'rtsp://10.100.14.102:554/?inst=2&h26x=4&stream=video', 'rtsp://10.100.14.102:554/?inst=2&h26x=4&stream=video'],
  ['absolute with userinfo loses it', 'rtsp://cam/x', 'rtsp://u:p@cam/x/t', 'rtsp://cam/x/t'],
  ['rtsps session is not downgraded by an rtsp:// control on the same port', 'rtsps://cam:8322/x', 'rtsp://cam:8322/x/t', 'rtsps://cam:8322/x/t'],
  ['IPv6 literal', 'rtsp://[2001:db8::1]:8554/live', 'track1', 'rtsp://[2001:db8::1]:8554/live/track1'],
  ['spaces and CR/LF are percent-encoded (no request line injection)', 'rtsp://cam/x', 'a b\r\nX: y', 'rtsp://cam/x/a%20b%0D%0AX:%20y'],
  // NAT: the camera writes its internal address; SETUP stays on the host camrtc talks to (gortsplib does the same).
  ['camera behind NAT: absolute control with its internal address is moved onto the session host', 'rtsp://203.0.113.5:8554/Streaming/Channels/101', 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1', 'rtsp://203.0.113.5:8554/Streaming/Channels/101/trackID=1'],
  ['absolute control to another host never sends SETUP there', 'rtsp://cam/x', 'rtsp://evil.example/steal', 'rtsp://cam/steal'],
  ['absolute control on another port keeps the session port', 'rtsp://cam/x', 'rtsp://cam:8554/x/t', 'rtsp://cam/x/t'],
  ['absolute control without a path', 'rtsp://cam:8554/x', 'rtsp://10.0.0.2', 'rtsp://cam:8554/'],
  ['dahua: control after a query', 'rtsp://cam/cam/realmonitor?channel=1&subtype=0', 'trackID=0', 'rtsp://cam/cam/realmonitor?channel=1&subtype=0/trackID=0'],
  ['base credentials are dropped', 'rtsp://u:p@cam/live', 'trackID=2', 'rtsp://cam/live/trackID=2'],
  ['absolute with a non-RTSP scheme is an error', 'rtsp://cam/x', 'http://cam/x', 'error'],
  ['over-long control is an error', 'rtsp://cam/x', 'a'.repeat(5000), 'error'],
  ['a non-RTSP base is an error', 'http://cam/x', 'track1', 'error'],
];

for (const [name, base, control, expected] of CASES) {
  test(`control URL: ${name}`, () => {
    const res = resolveControl(base, control);
    if (expected === 'error') {
      assert.ok(res instanceof CamrtcError);
      assert.equal(res.code, 'ERR_PARSE_SDP');
    } else {
      assert.equal(res, expected);
    }
  });
}

test('splitRtspUrl gives the effective port per scheme and refuses what is not rtsp', () => {
  assert.equal(splitRtspUrl('rtsp://cam/x')?.port, 554);
  assert.equal(splitRtspUrl('rtsps://cam/x')?.port, 322);
  assert.equal(splitRtspUrl('rtsp://cam:99999/x'), undefined);
  assert.equal(splitRtspUrl('rtsp:///x'), undefined);
  assert.equal(splitRtspUrl('cam/x'), undefined);
});

test('onSameHost moves a URL onto the session host, keeping path and query; isOtherHost compares host and port', () => {
  assert.equal(onSameHost('rtsp://203.0.113.5:8554/a', 'rtsp://192.168.1.64/Streaming/101/?x=1'), 'rtsp://203.0.113.5:8554/Streaming/101/?x=1');
  assert.equal(onSameHost('rtsps://cam/a', 'rtsp://other/b'), 'rtsps://cam/b');
  assert.equal(onSameHost('rtsp://cam/a', 'not a url'), undefined);
  assert.equal(isOtherHost('rtsp://cam/a', 'rtsp://cam:554/b'), false);
  assert.equal(isOtherHost('rtsp://cam/a', 'rtsp://cam:8554/b'), true);
  assert.equal(isOtherHost('rtsp://cam/a', 'rtsp://other/a'), true);
});

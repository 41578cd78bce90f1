#!/usr/bin/python3
"""A real RTSP camera for camrtc's end-to-end tests: GStreamer's gst-rtsp-server (Debian packages
gir1.2-gst-rtsp-server-1.0, python3-gi, gstreamer1.0-plugins-{base,good,ugly}).

Prints one JSON line per event on stdout:
  {"event": "ready", "port": N}            once listening
  {"event": "request", "method": "PLAY", "path": "/cam"}   for each RTSP request the server received,
                                           with the mount it names (tests assert on them); "require"
                                           holds its Require header when it has one
  {"event": "client-connected"} / {"event": "client-closed"}   for each RTSP connection
  {"event": "keyframe-request", "honoured": B}   for each keyframe request (RTCP PLI/FIR) from a client
  {"event": "backchannel", ...}            with --backchannel: what the camera's speaker would play (below)

--backchannel pcmu|pcma|aac: an ONVIF camera with an audio backchannel (GstRtspServer.RTSPOnvifServer):
DESCRIBE with `Require: www.onvif.org/ver20/backchannel` gets a third, a=sendonly audio track, and
what a client sends on it is decoded and measured here, one line per buffer:
  {"event": "backchannel", "at": MS, "samples": N, "rms": R, "hz": F}
`at` is the wall clock (ms since the Unix epoch) when the decoded buffer reached the speaker's
place, `rms` its loudness (0-1 of full scale), `hz` the frequency its zero crossings give over the
last 100 ms. Without --backchannel the server is the plain one, which answers a Require with
551 Option not supported, as most real cameras do.

--sub-path /sub (with --sub-width/--sub-height): a second mount, the camera's sub stream, the same
pipeline at another picture size, as cameras serve a main and a sub stream.

--stamp (used by bench/): instead of videotestsrc, frames are made here and pushed through an appsrc,
each carrying the wall clock at its creation (ms since the Unix epoch) in its top 32 rows as 48 black
or white 16x32 blocks, most significant bit first: 42 bits of milliseconds then 6 bits of
(ms % 61) + 1, so a reader can reject a misread (never 0: a black frame is no stamp). 16-pixel blocks
sit on H.264 macroblock boundaries and stay flat after encoding. The rest of the picture is fresh low-contrast noise each frame so the encoder spends its whole
--bitrate, as a busy real scene does.
"""
import argparse
import array
import json
import math
import os
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


STAMP_BITS = 48
STAMP_BLOCK = 16
STAMP_ROWS = 32
NOISE_POOL = 8


def stamp_pixels(ms, width):
    """One luma row of the stamp for this millisecond value (the row is repeated STAMP_ROWS times)."""
    value = ((ms & ((1 << 42) - 1)) << 6) | (ms % 61 + 1)
    row = bytearray(b"\x80" * width)
    for i in range(STAMP_BITS):
        bit = (value >> (STAMP_BITS - 1 - i)) & 1
        row[i * STAMP_BLOCK:(i + 1) * STAMP_BLOCK] = (b"\xeb" if bit else b"\x10") * STAMP_BLOCK
    return bytes(row)


class StampFeeder:
    """Pushes I420 frames at a steady frame rate into one appsrc until the pipeline stops taking them."""

    def __init__(self, appsrc, width, height, fps):
        self.appsrc, self.width, self.height, self.fps = appsrc, width, height, fps
        # Noise limited to 96..159: busy enough to use the bitrate, never confused with the stamp.
        table = bytes(96 + (b >> 2) for b in range(256))
        y_size, c_size = width * height, (width // 2) * (height // 2)
        self.pool = [os.urandom(y_size + 2 * c_size).translate(table) for _ in range(NOISE_POOL)]
        self.y_size, self.c_size = y_size, c_size
        self.c_stamp = b"\x80" * ((width // 2) * (STAMP_ROWS // 2))
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        period = 1.0 / self.fps
        next_at = time.monotonic()
        n = 0
        w, ys, cs = self.width, self.y_size, self.c_size
        stamp_y = w * STAMP_ROWS
        stamp_c = len(self.c_stamp)
        while True:
            noise = self.pool[n % NOISE_POOL]
            ms = int(time.time() * 1000)
            frame = b"".join((
                stamp_pixels(ms, w) * STAMP_ROWS, noise[stamp_y:ys],
                self.c_stamp, noise[ys + stamp_c:ys + cs],
                self.c_stamp, noise[ys + cs + stamp_c:],
            ))
            buf = Gst.Buffer.new_wrapped(frame)
            buf.duration = int(Gst.SECOND / self.fps)
            if self.appsrc.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                return  # media torn down (last client left): a new media gets a new feeder
            n += 1
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()  # fell behind: do not burst to catch up


BACKCHANNEL_CAPS = {
    "pcmu": ("application/x-rtp, media=audio, payload=0, clock-rate=8000, encoding-name=PCMU", "rtppcmudepay ! mulawdec"),
    "pcma": ("application/x-rtp, media=audio, payload=8, clock-rate=8000, encoding-name=PCMA", "rtppcmadepay ! alawdec"),
    # AAC-hbr (RFC 3640) at 16 kHz mono, as Dahua and Hikvision backchannels announce it.
    "aac": ("application/x-rtp, media=audio, payload=96, clock-rate=16000, encoding-name=MPEG4-GENERIC, "
            "streamtype=(string)5, mode=(string)AAC-hbr, config=(string)1408, sizelength=(string)13, "
            "indexlength=(string)3, indexdeltalength=(string)3",
            "rtpmp4gdepay ! aacparse ! faad"),
}


class SpeakerMeter:
    """Measures the decoded backchannel audio (S16LE mono) and reports each buffer on stdout."""

    WINDOW = 0.1  # seconds of audio the frequency estimate spans

    def __init__(self, rate):
        self.rate = rate
        self.history = array.array("h")

    def on_sample(self, sink):
        sample = sink.emit("pull-sample")
        if sample is None:
            return Gst.FlowReturn.EOS
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        if not ok:
            return Gst.FlowReturn.OK
        samples = array.array("h", bytes(info.data[: len(info.data) // 2 * 2]))
        buf.unmap(info)
        if sys.byteorder != "little":
            samples.byteswap()
        n = len(samples)
        rms = math.sqrt(sum(v * v for v in samples) / n) / 32768 if n else 0.0
        self.history.extend(samples)
        keep = int(self.rate * self.WINDOW)
        if len(self.history) > keep:
            del self.history[: len(self.history) - keep]
        h = self.history
        crossings = sum(1 for i in range(1, len(h)) if (h[i - 1] < 0) != (h[i] < 0))
        hz = crossings / 2 / (len(h) / self.rate) if len(h) > 1 else 0.0
        emit({"event": "backchannel", "at": round(time.time() * 1000, 1), "samples": n, "rms": round(rms, 4), "hz": round(hz, 1)})
        return Gst.FlowReturn.OK


def backchannel_launch(kind, rate):
    caps, decode = BACKCHANNEL_CAPS[kind]
    return (
        f'( capsfilter caps="{caps}" name=depay_backchannel ! {decode} ! audioconvert ! audioresample '
        f"! audio/x-raw,format=S16LE,channels=1,rate={rate} ! appsink name=speaker emit-signals=true sync=false async=false )"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--path", default="/cam")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--gop", type=int, default=50, help="frames between keyframes")
    ap.add_argument("--profile", default="baseline", choices=["baseline", "main", "high"])
    ap.add_argument("--audio", default="none", choices=["none", "pcma", "pcmu", "opus", "aac", "aac-latm"])
    ap.add_argument("--video", default="h264", choices=["h264", "h265", "mjpeg"])
    ap.add_argument("--audio-first", action="store_true",
                    help="audio is the first track (pay0) and video the second (pay1), as some cameras order them")
    ap.add_argument("--tone", type=int, default=440, help="frequency of the audio sine, Hz")
    ap.add_argument("--silent", action="store_true",
                    help="answer every request (PLAY included) but never send an RTP packet")
    ap.add_argument("--sub-path", help="also serve a sub stream at this mount (same pipeline, --sub-width x --sub-height)")
    ap.add_argument("--sub-width", type=int, default=320)
    ap.add_argument("--sub-height", type=int, default=180)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--protocols", default="tcp,udp", help="allowed lower transports")
    ap.add_argument("--bitrate", type=int, default=1000, help="H.264 bitrate in kbit/s")
    ap.add_argument("--stamp", action="store_true", help="wall-clock stamp in every frame (see above)")
    ap.add_argument("--threads", type=int, default=0,
                    help="x264 threads; 0 = auto (with tune=zerolatency: one slice per thread), 1 = one slice per picture")
    ap.add_argument("--backchannel", default="none", choices=["none", "pcmu", "pcma", "aac"],
                    help="an ONVIF audio backchannel in this codec, measured as it plays (see above)")
    ap.add_argument("--ignore-keyframe-requests", action="store_true",
                    help="drop RTCP PLI/FIR keyframe requests before the encoder, as most IP cameras do "
                         "(gst-rtsp-server honours them by default: the encoder makes a keyframe at once)")
    ap.add_argument("--frame-threads", action="store_true",
                    help="x264 threads work on whole frames (one slice per picture, one frame more latency) instead of slices")
    args = ap.parse_args()

    Gst.init(None)
    onvif = args.backchannel != "none"
    server = GstRtspServer.RTSPOnvifServer.new() if onvif else GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    # Track order = payloader index (gst-rtsp-server makes one SDP media per payN, in N order).
    has_audio = args.audio != "none"
    vi, ai = (1, 0) if args.audio_first and has_audio else (0, 1)

    def video_launch(width, height, stamp):
        """The video branch of a mount's pipeline at this picture size."""
        raw = (
            f"appsrc name=stamp is-live=true do-timestamp=true format=time "
            f"caps=video/x-raw,format=I420,width={width},height={height},framerate={args.fps}/1 "
            # A camera whose encoder falls behind drops frames; it does not queue them (the stamp would age).
            f"! queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0 "
            if stamp
            else f"videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={args.fps}/1 ! videoconvert "
        )
        # ultrafast turns CABAC and 8x8 transforms off, so x264 signals (Constrained) Baseline whatever
        # profile the caps ask for; superfast keeps them, and a main/high stream really is one.
        preset = "ultrafast" if args.profile == "baseline" else "superfast"
        h264 = (
            f"{raw}! x264enc tune=zerolatency speed-preset={preset} key-int-max={args.gop} bitrate={args.bitrate} threads={args.threads} "
            f"{'sliced-threads=false ' if args.frame_threads else ''}"
            f"! video/x-h264,profile={args.profile} ! rtph264pay name=pay{vi} pt=96 config-interval=-1"
        )
        # H.265 (gstreamer1.0-plugins-bad x265enc): for the negotiated-or-refused tests.
        h265 = (
            f"videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={args.fps}/1 "
            f"! videoconvert ! x265enc tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} bitrate=1000 "
            f"! rtph265pay name=pay{vi} pt=96 config-interval=-1"
        )
        # Motion JPEG (RFC 2435): what many older cameras send on a substream; no browser plays it over WebRTC.
        mjpeg = (
            f"videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={args.fps}/1 "
            f"! videoconvert ! video/x-raw,format=I420 ! jpegenc ! rtpjpegpay name=pay{vi} pt=26"
        )
        return {"h264": h264, "h265": h265, "mjpeg": mjpeg}[args.video]

    audio = {
        "none": "",
        "pcma": f" audiotestsrc is-live=true wave=sine freq={args.tone} volume=0.3 ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay{ai} pt=8",
        "pcmu": f" audiotestsrc is-live=true wave=sine freq={args.tone} volume=0.3 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay{ai} pt=0",
        "opus": f" audiotestsrc is-live=true wave=sine freq={args.tone} volume=0.3 ! audioconvert ! audioresample ! opusenc ! rtpopuspay name=pay{ai} pt=111",
        # AAC (voaacenc, gstreamer1.0-plugins-bad) as RFC 3640 MPEG4-GENERIC and as RFC 3016 MP4A-LATM.
        "aac": f" audiotestsrc is-live=true wave=sine freq={args.tone} volume=0.3 ! audioconvert ! audioresample ! audio/x-raw,rate=16000,channels=1 ! voaacenc ! rtpmp4gpay name=pay{ai} pt=97",
        "aac-latm": f" audiotestsrc is-live=true wave=sine freq={args.tone} volume=0.3 ! audioconvert ! audioresample ! audio/x-raw,rate=16000,channels=1 ! voaacenc ! rtpmp4apay name=pay{ai} pt=97",
    }[args.audio]

    if onvif:
        speaker_rate = 16000 if args.backchannel == "aac" else 8000
        meter = SpeakerMeter(speaker_rate)

        def on_backchannel_configure(_factory, media):
            speaker = media.get_element().get_by_name("speaker")
            if speaker is not None:
                speaker.connect("new-sample", meter.on_sample)

    protocols = GstRtsp.RTSPLowerTrans(0)
    for p in args.protocols.split(","):
        protocols |= {"tcp": GstRtsp.RTSPLowerTrans.TCP, "udp": GstRtsp.RTSPLowerTrans.UDP}[p]

    perms = None
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.add_digest(args.user, args.password, token)
        server.set_auth(auth)
        perms = GstRtspServer.RTSPPermissions()
        perms.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        perms.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)

    def mount(path, video):
        """One shared media at `path`: its pipeline runs only while a client plays it."""
        factory = GstRtspServer.RTSPOnvifMediaFactory.new() if onvif else GstRtspServer.RTSPMediaFactory()
        if onvif:
            # The ONVIF factory builds only ONVIF media (its construct refuses the default GstRTSPMedia).
            factory.set_media_gtype(GstRtspServer.RTSPOnvifMedia)
            factory.set_backchannel_launch(backchannel_launch(args.backchannel, speaker_rate))
            factory.set_backchannel_bandwidth(64000)
            # The speaker's jitter buffer: a camera plays what arrives at once; 200 ms (the default)
            # would be measured as camrtc's latency.
            factory.set_latency(20)
            factory.connect("media-configure", on_backchannel_configure)
        factory.set_launch(f"( {audio} {video} )" if vi == 1 else f"( {video}{audio} )")
        factory.set_shared(True)
        factory.set_protocols(protocols)
        if perms is not None:
            factory.set_permissions(perms)
        server.get_mount_points().add_factory(path, factory)
        return factory

    factory = mount(args.path, video_launch(args.width, args.height, args.stamp))
    sub_factory = mount(args.sub_path, video_launch(args.sub_width, args.sub_height, False)) if args.sub_path else None

    if args.stamp:
        def on_configure(_factory, media):
            StampFeeder(media.get_element().get_by_name("stamp"), args.width, args.height, args.fps)

        factory.connect("media-configure", on_configure)

    if args.silent:
        # The pipeline runs as usual, so DESCRIBE and PLAY are answered (gst-rtsp-server waits for the
        # first buffers of a live media before answering either); every packet is dropped at the
        # sinks that would send it to clients (multiudpsink for UDP, appsink for TCP interleaved), so a
        # client gets its PLAY answer and then no RTP (nor RTCP) at all.
        def drop(_pad, _info):
            return Gst.PadProbeReturn.DROP

        def on_element_added(_pipeline, _bin, element):
            # The sinks are made at SETUP, for the transport the client chose.
            if element.get_factory().get_name() in ("multiudpsink", "appsink"):
                element.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, drop)

        def on_silent_configure(_factory, media):
            media.get_element().get_parent().connect("deep-element-added", on_element_added)

        factory.connect("media-configure", on_silent_configure)
        if sub_factory is not None:
            sub_factory.connect("media-configure", on_silent_configure)

    def on_keyframe_request(_pad, info):
        # rtpsession turns a client's PLI/FIR into an upstream GstForceKeyUnit event to the encoder.
        s = info.get_event().get_structure()
        if s is None or s.get_name() != "GstForceKeyUnit":
            return Gst.PadProbeReturn.OK
        emit({"event": "keyframe-request", "honoured": not args.ignore_keyframe_requests})
        return Gst.PadProbeReturn.DROP if args.ignore_keyframe_requests else Gst.PadProbeReturn.OK

    def on_keyframe_configure(_factory, media):
        pay = media.get_element().get_by_name(f"pay{vi}")
        if pay is not None:
            pay.get_static_pad("src").add_probe(Gst.PadProbeType.EVENT_UPSTREAM, on_keyframe_request)

    factory.connect("media-configure", on_keyframe_configure)

    def on_client(_server, client):
        # Connections open now: a client holds its RTSP connection for as long as its session lasts.
        emit({"event": "client-connected"})
        client.connect("closed", lambda _c: emit({"event": "client-closed"}))
        for method in ("options", "describe", "setup", "play", "pause", "teardown", "get-parameter"):
            def handler(_client, ctx, m=method):
                # The mount the request names: /sub of rtsp://host/sub/stream=0.
                path = "/" + (ctx.uri.abspath if ctx.uri is not None else "").strip("/").split("/")[0]
                event = {"event": "request", "method": m.upper().replace("-", "_"), "path": path}
                res, require = ctx.request.get_header(GstRtsp.RTSPHeaderField.REQUIRE, 0)
                if res == GstRtsp.RTSPResult.OK and require:
                    event["require"] = require
                emit(event)
                return 200  # GST_RTSP_STS_OK: proceed
            try:
                client.connect(f"pre-{method}-request", handler)
            except TypeError:
                pass

    server.connect("client-connected", on_client)
    server.attach(None)
    emit({"event": "ready", "port": server.get_bound_port(), "path": args.path})
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()

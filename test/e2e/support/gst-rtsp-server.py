#!/usr/bin/python3
"""A real RTSP camera for camrtc's end-to-end tests: GStreamer's gst-rtsp-server (Debian packages
gir1.2-gst-rtsp-server-1.0, python3-gi, gstreamer1.0-plugins-{base,good,ugly}).

Prints one JSON line per event on stdout:
  {"event": "ready", "port": N}            once listening
  {"event": "request", "method": "PLAY"}   for each RTSP request the server received (tests assert on them)
"""
import argparse
import json
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--path", default="/cam")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--gop", type=int, default=50, help="frames between keyframes")
    ap.add_argument("--profile", default="baseline", choices=["baseline", "main", "high"])
    ap.add_argument("--audio", default="none", choices=["none", "pcma", "pcmu", "opus"])
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--protocols", default="tcp,udp", help="allowed lower transports")
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    video = (
        f"videotestsrc is-live=true pattern=ball ! video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 "
        f"! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.gop} bitrate=1000 "
        f"! video/x-h264,profile={args.profile} ! rtph264pay name=pay0 pt=96 config-interval=-1"
    )
    audio = {
        "none": "",
        "pcma": " audiotestsrc is-live=true wave=sine freq=440 volume=0.3 ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8",
        "pcmu": " audiotestsrc is-live=true wave=sine freq=440 volume=0.3 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1 pt=0",
        "opus": " audiotestsrc is-live=true wave=sine freq=440 volume=0.3 ! audioconvert ! audioresample ! opusenc ! rtpopuspay name=pay1 pt=111",
    }[args.audio]

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( {video}{audio} )")
    factory.set_shared(True)
    protocols = GstRtsp.RTSPLowerTrans(0)
    for p in args.protocols.split(","):
        protocols |= {"tcp": GstRtsp.RTSPLowerTrans.TCP, "udp": GstRtsp.RTSPLowerTrans.UDP}[p]
    factory.set_protocols(protocols)

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
        factory.set_permissions(perms)

    server.get_mount_points().add_factory(args.path, factory)

    def on_client(_server, client):
        for method in ("options", "describe", "setup", "play", "pause", "teardown", "get-parameter"):
            def handler(_client, _ctx, m=method):
                emit({"event": "request", "method": m.upper().replace("-", "_")})
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

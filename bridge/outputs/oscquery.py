"""OSCQuery for the VRChat output: find VRChat, read the current avatar's parameters, follow avatar changes.

Done the way VRCFaceTracking does it (benaclejames/VRCFaceTracking 4c58db6, VRCFaceTracking.Core/...):

- Discover: browse mDNS for ``_oscjson._tcp.local.`` services named ``VRChat-Client-*`` (mDNS/MulticastDnsService.cs
  :189-237); VRChat's HTTP endpoint is the service's address and port.
- Read the avatar: GET ``http://<endpoint>/avatar`` (OscQueryConfigParser.cs:26-37), JSON OSCQuery nodes, parsed by
  bridge.outputs.vrcft.avatar_from_oscquery.
- Advertise ourselves: an HTTP server answering ``?HOST_INFO`` (name, OSC IP/port, transport) and the root node
  with ``/avatar/change`` (OSC/Query/HttpHandler.cs:35-75), announced as ``_oscjson._tcp`` and ``_osc._udp`` with a
  random ``FaceBridge-XXXXXX`` name (Services/OscQueryService.cs:69-76), so VRChat sends /avatar/change to our
  listen port. A HOST_INFO request re-reads the avatar, as VRCFaceTracking does (:60).
- Follow changes: re-read on /avatar/change, and every ``refresh_s`` (a lost /avatar/change costs at most one
  period).

mDNS uses the zeroconf library. Every network failure is logged once and the output keeps running on the last
known avatar (or on the fallback plan when none was ever read).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from bridge.outputs.vrcft import AvatarInfo, avatar_from_oscquery, load_avatar_config

log = logging.getLogger(__name__)

OSCJSON_TYPE = "_oscjson._tcp.local."
OSC_TYPE = "_osc._udp.local."
VRCHAT_PREFIXES = ("VRChat-Client", "ChilloutVR-GameClient")  # MulticastDnsService.cs:197-198
MAX_TREE_BYTES = 4 << 20  # an avatar tree is a few hundred kB at most; refuse anything absurd


def _get_json(url: str, timeout: float):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (a local OSCQuery URL)
            body = resp.read(MAX_TREE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise ValueError(f"OSCQuery {url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ValueError(f"OSCQuery {url}: {reason}") from None
    if len(body) > MAX_TREE_BYTES:
        raise ValueError(f"OSCQuery {url}: answer larger than {MAX_TREE_BYTES} bytes")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"OSCQuery {url}: not JSON ({exc})") from None


def fetch_avatar(base_url: str, timeout: float = 2.0) -> AvatarInfo:
    """GET ``<base_url>/avatar`` (as VRCFaceTracking does) and parse it; a server that only answers the root gets
    ``/`` and its ``avatar`` node. Raises ValueError with a one-line reason on any failure."""
    url = base_url.rstrip("/") + "/avatar"
    try:
        tree = _get_json(url, timeout)
    except ValueError as first:
        if "HTTP 404" not in str(first):
            raise
        root = _get_json(base_url.rstrip("/") + "/", timeout)
        tree = root.get("CONTENTS", {}).get("avatar") if isinstance(root, dict) else None
        if not isinstance(tree, dict):
            raise ValueError(f"OSCQuery {base_url}: no /avatar node (is this VRChat?)") from None
    return avatar_from_oscquery(tree, source=url)


class _HostHandler(BaseHTTPRequestHandler):
    server: _HostServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        host = self.server.host
        split = urlsplit(self.path)
        if "HOST_INFO" in split.query or "HOST_INFO" in split.path:
            body = {"NAME": host.name, "EXTENSIONS": {"ACCESS": True, "CLIPMODE": False, "RANGE": True,
                                                      "TYPE": True, "VALUE": True},
                    "OSC_IP": "127.0.0.1", "OSC_PORT": host.osc_port, "OSC_TRANSPORT": "UDP"}
            if host.on_host_info is not None:
                host.on_host_info()
        elif split.path in ("", "/"):
            body = {"FULL_PATH": "/", "ACCESS": 0, "CONTENTS": {"avatar": {
                "FULL_PATH": "/avatar", "ACCESS": 0, "CONTENTS": {"change": {
                    "FULL_PATH": "/avatar/change", "ACCESS": 2, "TYPE": "s"}}}}}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Pragma", "no-cache")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        log.debug("oscquery host: " + format, *args)


class _HostServer(ThreadingHTTPServer):
    daemon_threads = True
    host: OscQueryHost


class OscQueryHost:
    """Our OSCQuery service: HTTP on 127.0.0.1 (random port) describing our OSC listen port."""

    def __init__(self, osc_port: int, name: str | None = None) -> None:
        self.name = name or "FaceBridge-" + secrets.token_hex(3).upper()
        self.osc_port = int(osc_port)
        self.on_host_info: Callable[[], object] | None = None
        self._server = _HostServer(("127.0.0.1", 0), _HostHandler)
        self._server.host = self
        self.http_port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="oscquery-host", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


MDNS_INTERFACES_ENV = "FACEBRIDGE_MDNS_INTERFACES"  # comma-separated addresses; unset = every interface


class Mdns:
    """zeroconf: advertise our two services and watch for VRChat's ``_oscjson._tcp`` service."""

    def __init__(self, on_vrchat: Callable[[str], object], interfaces: list[str] | None = None) -> None:
        from zeroconf import IPVersion, ServiceBrowser, Zeroconf

        self._on_vrchat = on_vrchat
        kwargs: dict = {"ip_version": IPVersion.V4Only}
        if interfaces is None and os.environ.get(MDNS_INTERFACES_ENV):
            # Pin mDNS to chosen NICs (several network cards; the test suite keeps it on loopback).
            interfaces = [part.strip() for part in os.environ[MDNS_INTERFACES_ENV].split(",") if part.strip()]
        if interfaces:
            kwargs["interfaces"] = interfaces
        self._zc = Zeroconf(**kwargs)
        self._infos: list = []
        self._browser = ServiceBrowser(self._zc, OSCJSON_TYPE, handlers=[self._on_change])

    def advertise(self, host: OscQueryHost) -> None:
        """Announce ``_oscjson._tcp`` (our HTTP port) and ``_osc._udp`` (our OSC listen port) at 127.0.0.1."""
        from zeroconf import ServiceInfo

        for kind, port in ((OSCJSON_TYPE, host.http_port), (OSC_TYPE, host.osc_port)):
            info = ServiceInfo(kind, f"{host.name}.{kind}", addresses=[socket.inet_aton("127.0.0.1")], port=port,
                               properties={"txtvers": "1"}, server=f"{host.name}.local.")
            self._zc.register_service(info, allow_name_change=True)
            self._infos.append(info)

    def _on_change(self, zeroconf, service_type: str, name: str, state_change) -> None:
        from zeroconf import ServiceStateChange

        if state_change not in (ServiceStateChange.Added, ServiceStateChange.Updated):
            return
        if not name.startswith(VRCHAT_PREFIXES):
            return
        # Resolve off the zeroconf thread (get_service_info blocks; it must not run on the event loop).
        threading.Thread(target=self._resolve, args=(service_type, name), name="oscquery-resolve",
                         daemon=True).start()

    def _resolve(self, service_type: str, name: str) -> None:
        info = self._zc.get_service_info(service_type, name, timeout=3000)
        if info is None or not info.port:
            return
        # Only this machine's VRChat: VRCFaceTracking drops mDNS answers from other hosts
        # (MulticastDnsService.cs:245-250) so nobody drives a stranger's avatar on a shared LAN.
        local = local_addresses()
        addresses = [a for a in info.parsed_addresses() if a in local]
        if addresses:
            self._on_vrchat(f"http://{addresses[0]}:{info.port}")
        else:
            log.info("vrchat output: ignoring OSCQuery service %s at %s (not this machine)", name,
                     info.parsed_addresses())

    def close(self) -> None:
        try:
            for info in self._infos:
                self._zc.unregister_service(info)
        finally:
            self._zc.close()


def local_addresses() -> set[str]:
    """This machine's IPv4 addresses (loopback included)."""
    import ifaddr  # zeroconf's own dependency

    out = {"127.0.0.1"}
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str):
                out.add(ip.ip)
    return out


class AvatarTracker:
    """Keeps the current avatar's description up to date on a background thread.

    ``current`` is ``(version, AvatarInfo | None)``; ``version`` grows by one whenever a new description is read.
    Sources, in order: an explicit OSCQuery URL, VRChat found over mDNS, else the avatar config JSON (a file or
    VRChat's OSC folder, looked up by the id in /avatar/change).
    """

    def __init__(self, url: str = "", discover: bool = True, config_path: str = "", refresh_s: float = 5.0,
                 osc_port: int | None = None, mdns_interfaces: list[str] | None = None) -> None:
        self.refresh_s = max(float(refresh_s), 0.05)
        self.current: tuple[int, AvatarInfo | None] = (0, None)
        self._url = url.rstrip("/")
        self._config = config_path
        if config_path == "auto":
            folder = default_vrchat_osc_folder()
            self._config = str(folder) if folder is not None else ""
            if folder is None:
                log.warning("vrchat output: avatar_config = \"auto\" but VRChat's OSC folder was not found; set "
                            "avatar_config to the folder (...LocalLow/VRChat/VRChat/OSC) or to an avatar's JSON file")
        self._avatar_id = ""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._warned: set[str] = set()
        self._last_key: tuple | None = None
        self.host: OscQueryHost | None = None
        self.mdns: Mdns | None = None
        if discover and not self._url:
            try:
                self.mdns = Mdns(self._found_vrchat, mdns_interfaces)
                if osc_port:
                    self.host = OscQueryHost(osc_port)
                    self.host.on_host_info = self.refresh
            except Exception as exc:  # any zeroconf/network failure: run without discovery  # noqa: BLE001
                log.warning("vrchat output: OSCQuery discovery unavailable (%s); sending to every parameter "
                            "name as without OSCQuery", exc)
                self._close_network()
        self._thread = threading.Thread(target=self._run, name="vrchat-avatar", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return self._url

    def _found_vrchat(self, url: str) -> None:
        """An mDNS answer named VRChat-Client-* (zeroconf resolve thread). VRChat always announces 127.0.0.1
        (MulticastDnsService.cs:227-229), so another PC's VRChat looks local too: switch only to an endpoint that
        answers /avatar here."""
        if url == self._url:
            self.refresh()
            return
        try:
            fetch_avatar(url, timeout=1.0)
        except ValueError as exc:
            log.info("vrchat output: OSCQuery service at %s does not answer (%s); not this machine's VRChat", url, exc)
            return
        log.info("vrchat output: OSCQuery found VRChat at %s", url)
        self._url = url
        self.refresh()

    def avatar_changed(self, avatar_id: str) -> None:
        """VRChat reported /avatar/change (thread-safe)."""
        self._avatar_id = avatar_id
        self.refresh()

    def refresh(self) -> None:
        """Re-read the avatar soon (thread-safe, never blocks)."""
        self._wake.set()

    def _run(self) -> None:
        if self.mdns is not None and self.host is not None:
            # Registering probes the network for ~1 s: done here so starting the output never waits for it.
            try:
                self.mdns.advertise(self.host)
            except Exception as exc:  # noqa: BLE001 (any zeroconf failure: VRChat just won't find us)
                log.warning("vrchat output: cannot announce ourselves over mDNS (%s); VRChat will send "
                            "/avatar/change only to port 9001", exc)
        while not self._stop.is_set():
            self._read_once()
            self._wake.wait(self.refresh_s)
            self._wake.clear()

    def _read_once(self) -> None:
        avatar = None
        try:
            if self._url:
                avatar = fetch_avatar(self._url)
            elif self._config:
                avatar = load_avatar_config(self._config, self._avatar_id or None)
        except ValueError as exc:
            self._warn_once(str(exc).split(":")[0], f"vrchat output: {exc}; keeping the last avatar description")
            return
        if avatar is None:
            return
        key = (avatar.id, avatar.parameters)
        if key != self._last_key:
            self._last_key = key
            self.current = (self.current[0] + 1, avatar)
            log.info("vrchat output: avatar %s (%s): %d parameters", avatar.id, avatar.source,
                     len(avatar.parameters))
            self._warned.clear()

    def _warn_once(self, kind: str, text: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning(text)

    def _close_network(self) -> None:
        if self.mdns is not None:
            with contextlib.suppress(Exception):  # closing a half-built zeroconf must not raise
                self.mdns.close()
            self.mdns = None
        if self.host is not None:
            self.host.close()
            self.host = None

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=3.0)
        self._close_network()


def default_vrchat_osc_folder() -> Path | None:
    """VRChat's OSC config folder on this machine if it exists (Windows; Proton prefix on Linux), else None."""
    import os

    candidates = []
    local = os.environ.get("LOCALAPPDATA")
    if local:
        candidates.append(Path(local + "Low") / "VRChat" / "VRChat" / "OSC")
    home = Path.home()
    for steam in (home / ".steam" / "steam", home / ".local" / "share" / "Steam"):
        candidates.append(steam / "steamapps" / "compatdata" / "438100" / "pfx" / "drive_c" / "users" / "steamuser"
                          / "AppData" / "LocalLow" / "VRChat" / "VRChat" / "OSC")
    return next((c for c in candidates if c.is_dir()), None)

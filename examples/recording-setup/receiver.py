"""A webhook receiver for RealtimeKit: prints one line per delivery and answers 200.

    python3 receiver.py [--port 8788] [--key-url URL]

It listens on 127.0.0.1 and first prints ``receiver listening on http://127.0.0.1:PORT/``
(``--port 0`` picks a free port), then one line per delivery, flushed at once so a log file
follows along::

    event=meeting.started meeting=<id> session=<id> signature=verified
    event=recording.statusUpdate recording=<id> status=UPLOADED meeting=<id> signature=verified

Signatures: ``rtk-signature`` is the base64 RSA-SHA256 (PKCS#1 v1.5) signature of the raw body.
With ``--key-url`` (``https://api.realtime.cloudflare.com/.well-known/webhooks.json`` for
Cloudflare, ``http://127.0.0.1:PORT/.well-known/webhooks.json`` for the emulator) and the
``cryptography`` package installed, each delivery is verified, and one that fails is answered
401 (``signature=invalid``). Verifying is optional because the standard library has no RSA:
this script runs with a plain ``python3``, and then prints ``signature=unchecked``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError:  # verification is optional: see the module docstring
    HAVE_CRYPTOGRAPHY = False
else:
    HAVE_CRYPTOGRAPHY = True

# Retries repeat a delivery with the same rtk-uuid; remember this many to print each once.
SEEN_LIMIT = 10_000


class Verifier:
    """Checks ``rtk-signature`` against the public key served at ``key_url``."""

    def __init__(self, key_url: str) -> None:
        self.key_url = key_url
        self._key: rsa.RSAPublicKey | None = None
        # Never send the key request through an http_proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _fetch(self) -> rsa.RSAPublicKey:
        with self._opener.open(self.key_url, timeout=5) as response:
            pem = json.load(response)["data"]["publicKey"]
        key = serialization.load_pem_public_key(pem.encode())
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError(f"{self.key_url} serves no RSA public key")
        return key

    def verify(self, body: bytes, signature: str) -> bool:
        try:
            raw = base64.b64decode(signature, validate=True)
        except binascii.Error:
            return False
        if self._key is None:
            self._key = self._fetch()
        if _valid(self._key, raw, body):
            return True
        # Fetch the key again once: it may have rotated (or the emulator restarted with a new one).
        self._key = self._fetch()
        return _valid(self._key, raw, body)


def _valid(key: rsa.RSAPublicKey, signature: bytes, body: bytes) -> bool:
    try:
        key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def describe(event: dict[str, Any]) -> str:
    """The delivery as ``key=value`` fields: what a pipeline would act on."""
    name = str(event.get("event"))
    fields = [f"event={name}"]
    if name == "recording.statusUpdate":
        recording = event.get("recording") or {}
        fields += [f"recording={recording.get('id')}", f"status={recording.get('status')}"]
        fields.append(f"meeting={recording.get('meetingId')}")
        return " ".join(fields)
    meeting = event.get("meeting") or {}
    fields.append(f"meeting={meeting.get('id')}")
    participant = event.get("participant")
    if participant:
        fields.append(f"participant={participant.get('userDisplayName')}")
    else:  # meeting.started and meeting.ended: which session
        fields.append(f"session={meeting.get('sessionId')}")
    if "reason" in event:
        fields.append(f"reason={event['reason']}")
    return " ".join(fields)


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        verdict = self.server.check(body, self.headers.get("rtk-signature"))
        delivery_id = self.headers.get("rtk-uuid")
        if verdict != "invalid" and self.server.seen(delivery_id):
            self._answer(200)  # a retry of a delivery already printed
            return
        try:
            line = describe(json.loads(body))
        except (ValueError, AttributeError):
            line = f"event=? body={body[:80]!r}"
        print(f"{line} signature={verdict}", flush=True)
        # Answer fast; a real receiver would queue slow work. A 4xx is final (never retried).
        self._answer(401 if verdict == "invalid" else 200)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the one line per delivery above is the log."""


class Receiver(HTTPServer):
    def __init__(self, port: int, verifier: Verifier | None) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.verifier = verifier
        self._seen: dict[str, None] = {}

    def check(self, body: bytes, signature: str | None) -> str:
        if self.verifier is None:
            return "unchecked"
        if not signature:
            return "invalid"
        try:
            return "verified" if self.verifier.verify(body, signature) else "invalid"
        except (OSError, ValueError, KeyError) as exc:
            # The key could not be fetched: say so, but do not lose the delivery.
            print(f"receiver: cannot fetch {self.verifier.key_url}: {exc}", file=sys.stderr)
            return "unchecked"

    def seen(self, delivery_id: str | None) -> bool:
        if delivery_id is None:
            return False
        if delivery_id in self._seen:
            return True
        self._seen[delivery_id] = None
        if len(self._seen) > SEEN_LIMIT:
            del self._seen[next(iter(self._seen))]
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8788, help="port on 127.0.0.1 (0: any)")
    parser.add_argument("--key-url", help="where the public key is (.well-known/webhooks.json)")
    args = parser.parse_args(argv)
    verifier = None
    if args.key_url and HAVE_CRYPTOGRAPHY:
        verifier = Verifier(args.key_url)
    elif args.key_url:
        print("receiver: no `cryptography` package, signatures unchecked", file=sys.stderr)
    with Receiver(args.port, verifier) as server:
        print(f"receiver listening on http://127.0.0.1:{server.server_port}/", flush=True)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends it without a traceback
            server.serve_forever()


if __name__ == "__main__":
    main()

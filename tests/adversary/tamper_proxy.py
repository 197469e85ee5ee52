#!/usr/bin/env python3
"""tamper_proxy.py - a loopback HTTP proxy in front of one henhouse node that
serves everything from it unchanged, except that while tampering it flips one
byte of the last entry in every /tile/entries/... bundle: entries that no
longer hash to the signed root, as a hostile or broken log or CDN would serve.

usage: tamper_proxy.py UPSTREAM_URL [--port N] [--flag FILE]

Tampers while FILE exists (always, without --flag). Prints
"listening on http://127.0.0.1:PORT" once ready, and one line on stderr per
tampered response. Listens on 127.0.0.1 only. Test tooling: never installed.
"""
import argparse
import http.server
import os
import sys
import urllib.error
import urllib.request

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer",
              "upgrade", "proxy-authenticate", "proxy-authorization", "content-length"}
ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def flip_last_entry(bundle: bytes) -> bytes:
    """Changes one byte in the middle of the bundle's last entry, keeping the
    framing (uint16 BE length || entry) intact; an alphanumeric byte stays
    alphanumeric, so the entry still looks plausible."""
    pos, last = 0, None
    while pos + 2 <= len(bundle):
        n = int.from_bytes(bundle[pos:pos + 2], "big")
        if pos + 2 + n > len(bundle):
            break
        last = (pos + 2, n)
        pos += 2 + n
    if last is None or last[1] == 0:
        return bundle
    start, n = last
    i = start + n // 2
    b = bytearray(bundle)
    c = b[i]
    b[i] = ALNUM[(ALNUM.index(c) + 1) % len(ALNUM)] if c in ALNUM else c ^ 0x01
    return bytes(b)


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = ""
    flag = None

    def log_message(self, fmt, *args):  # quiet: one line per tampered response only
        pass

    def tampering(self):
        return self.flag is None or os.path.exists(self.flag)

    def forward(self):
        body = None
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            body = self.rfile.read(n)
        req = urllib.request.Request(self.upstream + self.path, data=body, method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in HOP_BY_HOP and k.lower() != "host":
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                status, headers, data = r.status, r.headers.items(), r.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers.items(), e.read()
        except OSError as e:
            status, headers, data = 502, [("Content-Type", "text/plain")], f"upstream: {e}\n".encode()
        if status == 200 and self.path.startswith("/tile/entries/") and self.tampering():
            data = flip_last_entry(data)
            print(f"tampered {self.path}", file=sys.stderr, flush=True)
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = forward


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("upstream")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--flag")
    a = ap.parse_args()
    Proxy.upstream = a.upstream.rstrip("/")
    Proxy.flag = a.flag
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Proxy)
    srv.daemon_threads = True
    print(f"listening on http://127.0.0.1:{srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()

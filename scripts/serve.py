#!/usr/bin/env python3
"""Serve a directory over HTTP on 127.0.0.1, for the page and its end-to-end tests.

Correct MIME types for wasm and ES modules, nothing cached, one line of output.

    python3 scripts/serve.py --dir www --port 8000
"""

import argparse
import functools
import http.server
import os
import sys

MIME_TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ts": "text/plain",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def end_headers(self):
        # The page is rebuilt in place; a stale wasm next to fresh glue code would not load.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_request(self, code="-", size="-"):
        # Quiet: no line per request. Errors still go through log_message.
        pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that goes away mid-response (the page terminates a pool worker while it
        # fetches the wasm, a test closes its browser) is no error of the server's.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=".", help="directory to serve (default: .)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    args = parser.parse_args()

    root = os.path.abspath(args.dir)
    if not os.path.isdir(root):
        sys.exit(f"serve.py: no such directory: {args.dir}")

    handler = functools.partial(Handler, directory=root)
    try:
        server = Server((args.host, args.port), handler)
    except OSError as err:
        sys.exit(f"serve.py: cannot listen on {args.host}:{args.port}: {err.strerror}")

    print(f"Serving {args.dir} on http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

"""A tiny HTTP server for connectivity tests: `python3 tests/httpd.py PORT [BIND]`.

Unlike `python3 -m http.server` it never looks up names (no getfqdn), so it starts at once
in a lab namespace and sends no DNS query anywhere.
"""

import http.server
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = f"hello from port {self.server.server_address[1]}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Server(socketserver.TCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    port = int(sys.argv[1])
    bind = sys.argv[2] if len(sys.argv) > 2 else "0.0.0.0"
    with Server((bind, port), Handler) as srv:
        srv.serve_forever()

"""A webhook receiver for tests: an HTTP server on 127.0.0.1 in a thread that keeps what it
received and answers from a script: ``Receiver(answers=[500, 200])`` answers the first POST
with 500, the next ones with 200; an answer may also be ``(status, headers, body)`` or
``"endless"`` (a 200 whose body never ends)."""
import http.server
import threading
from dataclasses import dataclass


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


class Receiver:
    def __init__(self, answers=(200,)):
        self.answers = list(answers)
        self.received = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(self.path, dict(self.headers), body))
                answer = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                if answer == "endless":
                    return self.endless()
                status, headers, data = answer if isinstance(answer, tuple) else (answer, {}, b"ok")
                self.send_response(status)
                for name, value in {"Content-Length": str(len(data)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def endless(self):
                self.send_response(200)
                self.end_headers()  # no length: the body ends when the connection does
                try:
                    while True:
                        self.wfile.write(b"x" * 65536)
                except OSError:  # the client stopped reading and closed
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

"""`--watch`: build, serve the preview on 127.0.0.1, and build again on every save.

The page served has a small script that listens for builds (Server-Sent Events): a build that
succeeds reloads it where it was; one that fails shows its messages on the page, over the last
good cards, and the watcher goes on. Builds run in this one process, with what the last build
had kept as objects (memory.py), so an edit reaches the package and the page at once.
"""

from __future__ import annotations

import json
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .discover import display_path

# Injected into the page as served (never into the file): reload on a good build, keeping the
# place and the filter; show the messages of a bad one.
LIVE = """<div id="build-problems" hidden></div>
<style>#build-problems { position: fixed; inset: auto 0 0 0; z-index: 9; max-height: 45vh;
  overflow: auto; background: #fff1e5; color: #5c2400; border-top: 3px solid #bc4c00;
  padding: 0.75em 1.25em; font: 0.9em ui-monospace, Menlo, Consolas, monospace;
  white-space: pre-wrap; }</style>
<script>
(() => {
  const box = document.getElementById("build-problems");
  const place = sessionStorage.getItem("build-deck-place");
  if (place) {
    const [y, filter] = JSON.parse(place);
    const input = document.getElementById("filter");
    if (filter && input) { input.value = filter; input.dispatchEvent(new Event("input")); }
    window.scrollTo(0, y);
  }
  let seen = null;
  const events = new EventSource("/events");
  events.onmessage = message => {
    const build = JSON.parse(message.data);
    if (seen === null) seen = build.good;
    if (!build.ok) {
      box.textContent = "The last save does not build:\\n" + build.messages.join("\\n");
      box.hidden = false;
    } else if (build.good !== seen) {
      const input = document.getElementById("filter");
      sessionStorage.setItem("build-deck-place",
        JSON.stringify([window.scrollY, input ? input.value : ""]));
      location.reload();
    } else {
      box.hidden = true;
    }
  };
})();
</script>
"""


@dataclass
class BuildState:
    """What the page is told: the latest build, and how many good ones there have been."""

    ok: bool = True
    good: int = 0  # good builds so far: a new number means new cards to show
    messages: list[str] = field(default_factory=list)

    def event(self) -> bytes:
        data = json.dumps({"ok": self.ok, "good": self.good, "messages": self.messages})
        return f"data: {data}\n\n".encode()


class Broadcast:
    """Every open page's event stream, told each build."""

    def __init__(self) -> None:
        self.state = BuildState()
        self._lock = threading.Lock()
        self._listeners: list[queue.Queue[bytes]] = []

    def publish(self, ok: bool, messages: list[str]) -> None:
        with self._lock:
            good = self.state.good + ok
            self.state = BuildState(ok, good, messages)
            for listener in self._listeners:
                listener.put(self.state.event())

    def listen(self) -> queue.Queue[bytes]:
        with self._lock:
            listener: queue.Queue[bytes] = queue.Queue()
            listener.put(self.state.event())  # a page opened now learns how things stand
            self._listeners.append(listener)
            return listener

    def leave(self, listener: queue.Queue[bytes]) -> None:
        with self._lock:
            self._listeners.remove(listener)


def _handler(page: Path, broadcast: Broadcast, stopping: threading.Event) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # the terminal is for build messages

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/events":
                self._events()
            elif self.path.split("?")[0] in ("/", "/preview.html"):
                self._page()
            else:
                self.send_error(404)

        def _page(self) -> None:
            try:
                html = page.read_bytes()
            except OSError:
                html = b"<!DOCTYPE html><title>no preview yet</title><body><main></main></body>"
            end = html.rfind(b"</body>")  # the page's own: its script holds one too
            end = len(html) if end < 0 else end
            body = html[:end] + LIVE.encode() + html[end:]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            listener = broadcast.listen()
            try:
                self.wfile.write(b"retry: 500\n\n")
                while not stopping.is_set():
                    try:
                        self.wfile.write(listener.get(timeout=0.5))
                        self.wfile.flush()
                    except queue.Empty:
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
            except OSError:
                pass  # the page went away
            finally:
                broadcast.leave(listener)

    return Handler


@dataclass
class Server:
    url: str
    broadcast: Broadcast
    httpd: ThreadingHTTPServer
    stopping: threading.Event

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def serve(page: Path, port: int) -> Server:
    """The preview and its build events on 127.0.0.1 only; another port if `port` is taken."""
    broadcast, stopping = Broadcast(), threading.Event()
    handler = _handler(page, broadcast, stopping)
    try:
        httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    return Server(url, broadcast, httpd, stopping)


def changes(paths: list[Path], ignored: list[Path]) -> Iterator[set[Path]]:
    """The files changed, a save at a time, under `paths` (the outputs and cache excluded);
    an empty set now and then while none change, the first once the watch is on."""
    import watchfiles

    skip = [path.resolve() for path in ignored]

    def wanted(change: object, name: str) -> bool:
        path = Path(name).resolve()
        if any(path == s or s in path.parents for s in skip):
            return False
        return not any(part.startswith(".") and part != ".obsidian" for part in path.parts[-3:])

    existing = [str(path) for path in paths if path.exists()]
    watching = watchfiles.watch(*existing, watch_filter=wanted, debounce=50, step=20,
                                rust_timeout=200, yield_on_timeout=True)  # fmt: skip
    for batch in watching:
        yield {Path(name) for _, name in batch}


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM, what `kill` and process managers send, ends watching as Ctrl-C does."""
    raise KeyboardInterrupt


def watch_loop(
    build: Callable[[set[Path]], tuple[bool, list[str]]],
    page: Path,
    port: int,
    paths: list[Path],
    ignored: list[Path],
) -> int:
    """Build, serve, and build again on every save until Ctrl-C or `kill`; 0 then."""
    signal.signal(signal.SIGTERM, _interrupt)
    ok, messages = build(set())
    server = serve(page, port)
    server.broadcast.publish(ok, messages)
    shown = ", ".join(display_path(path) for path in paths if path.exists())
    told = False
    try:
        for changed in changes(paths, ignored):
            if not told:  # said once saves are seen: one made from now on is built
                print(f"watching {shown}: preview at {server.url} (Ctrl-C to stop)",
                      file=sys.stderr, flush=True)  # fmt: skip
                told = True
            if changed:
                ok, messages = build(changed)
                server.broadcast.publish(ok, messages)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("stopped watching", file=sys.stderr)
    return 0

"""Serving the explorer: one local Tornado process (Panel's server), one page per tab."""

from __future__ import annotations

import contextlib
import socket
import time
import urllib.request

import panel as pn

from .app import Explorer

__all__ = ["running", "serve"]


def serve(state, *, port=5006, address="127.0.0.1", show=True, threaded=False, backend="canvas"):
    """Serve a fresh :class:`Explorer` of (a copy of) ``state`` per browser tab.

    Binds ``address`` (127.0.0.1: this machine only); the page is
    ``http://address:port/explore``.  Returns Panel's server (a thread when
    ``threaded``), else blocks until Ctrl-C.
    """

    def page():
        pn.extension()
        return Explorer(state.copy(), backend=backend).panel()

    hosts = [f"{address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    return pn.serve({"explore": page}, port=port, address=address, show=show, threaded=threaded,
                    websocket_origin=hosts, title="landscape explorer", start=True,
                    print_url=False)  # fmt: skip


@contextlib.contextmanager
def running(state, *, port: int = 0, backend: str = "canvas", timeout: float = 60.0):
    """Serve ``state`` on a thread of this process; yields the page's URL once it answers.

    ``port = 0`` picks a free one.  For tests, benchmarks and screenshots:
    ``with running(State()) as url: page.goto(url)``.
    """
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    server = serve(state, port=port, show=False, threaded=True, backend=backend)
    try:
        end = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/explore"
    finally:
        server.stop()

"""Serving the explorer: one local Tornado process (Panel's server), one page per tab."""

from __future__ import annotations

import panel as pn

from .app import Explorer

__all__ = ["serve"]


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

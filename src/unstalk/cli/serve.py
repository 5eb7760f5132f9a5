"""``unstalk serve``: start the local web app for advocates and open it in the browser.

The web app, FastAPI and uvicorn are imported when the command runs: importing
them takes most of a second, which every other command of the CLI would pay.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import threading
import time
import webbrowser
from typing import TYPE_CHECKING

import click

from unstalk.errors import UsageError

from . import settings

if TYPE_CHECKING:
    import uvicorn

DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"
RISK_FLAG = "--allow-remote-access"

_BROWSER_WAIT_SECONDS = 30.0

_REMOTE_WARNING = (
    "Warning: with --host {host}, unstalk would be reachable from other machines on the "
    "network, not only from this computer. Anyone who can reach this computer could open the "
    "app and see what is looked up in it. Only do this on a network you fully control."
)


def allowed_hosts_for(host: str) -> tuple[str, ...]:
    """``Host`` header names the app must accept besides loopback ones, for a bind address."""
    from unstalk.web.security import ANY_HOST, is_loopback

    if is_loopback(host.strip("[]")):
        return ()
    if _is_wildcard(host):
        return (ANY_HOST,)
    return (host.strip("[]").lower(),)


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def browser_url(host: str, port: int) -> str:
    """The address to open in a browser on this computer."""
    name = host.strip("[]")
    if _is_wildcard(name):
        name = DEFAULT_HOST
    if ":" in name:
        name = f"[{name}]"
    return f"http://{name}:{port}/"


def bind(host: str, port: int) -> socket.socket:
    """Listen on ``host``:``port``, with errors a person can act on."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as e:
        raise UsageError(
            f"unstalk cannot listen on '{host}': this computer does not know that address.",
            advice=f"Leave out --host to use {DEFAULT_HOST}, this computer only.",
        ) from e
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            # Lets a restart reuse the port at once; on Windows this flag means something unsafe.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise UsageError(
                f"Port {port} is already in use on this computer.",
                advice=f"unstalk may already be running: open {browser_url(host, port)} in "
                f"the browser. Or choose another port, for example --port {port + 1}.",
            ) from e
        raise UsageError(f"unstalk cannot listen on {host}:{port}: {e.strerror}.") from e
    return sock


def open_when_ready(server: uvicorn.Server, url: str) -> None:
    """Open the browser once the server answers, without holding up the server."""

    def wait_and_open() -> None:
        deadline = time.monotonic() + _BROWSER_WAIT_SECONDS
        while not server.started and not server.should_exit and time.monotonic() < deadline:
            time.sleep(0.05)
        if server.started:
            webbrowser.open(url)

    threading.Thread(target=wait_and_open, name="unstalk-open-browser", daemon=True).start()


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help=f"Address to listen on. Anything other than this computer needs {RISK_FLAG}.",
)
@click.option(
    RISK_FLAG,
    "allow_remote_access",
    is_flag=True,
    help="Accept that with a --host other than this computer, other machines on the network "
    "can reach the app.",
)
@click.option("--no-browser", is_flag=True, help="Do not open the app in the browser.")
@click.option(
    "--case-store",
    is_flag=True,
    help="Let advocates keep a case (notes and reports) on this computer, encrypted with a "
    "passphrase, in the 'cases' folder of unstalk's data folder. Off by default: then nothing "
    "about a check outlives the session.",
)
def serve(
    port: int, host: str, allow_remote_access: bool, no_browser: bool, case_store: bool
) -> None:
    """Start the app for advocates, on this computer only, and open it in the browser.

    Nothing typed or uploaded into the app leaves this computer. Stop it with Ctrl+C.
    """
    import uvicorn

    from unstalk.web import create_app
    from unstalk.web.security import is_loopback

    if not is_loopback(host.strip("[]")):
        click.echo(_REMOTE_WARNING.format(host=host), err=True)
        if not allow_remote_access:
            raise UsageError(
                f"unstalk did not start, because --host {host} would let other machines in.",
                advice=f"Leave out --host to use this computer only, or add {RISK_FLAG} if "
                "you understand the risk.",
            )
    # Bind first: a port already taken should say so before the feed is loaded.
    sock = bind(host, port)
    try:
        app = create_app(
            settings.feed_store(),
            allowed_hosts=allowed_hosts_for(host),
            case_folder=settings.data_home() / "cases" if case_store else None,
        )
    except BaseException:
        sock.close()
        raise
    url = browser_url(host, sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        log_level="warning",
        # Requests are not logged: the terminal of a shared computer should not show them.
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    click.echo(f"unstalk is running at {url}")
    click.echo("Keep this window open while you use it. Press Ctrl+C to stop.")
    if not no_browser:
        open_when_ready(server, url)
    server.run(sockets=[sock])

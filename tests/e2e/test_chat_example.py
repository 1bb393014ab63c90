"""examples/chat run for real: its setup script against `tollway serve`, then chatting through
it with the `websockets` client, and in two headless Chromium pages (the example's index.html
served over HTTP). The browser test needs Debian's `chromium` and `chromium-driver` and
selenium; without them it is skipped, saying why (under CI, `CI=true`, it fails)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import Server, start_server

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chat"
WAIT = 30.0  # seconds: generous for a loaded machine; a pass never waits this long


class Chat:
    def __init__(self, server: Server, url: str, data_dir: Path) -> None:
        self.server, self.url, self.data_dir = server, url, data_dir

    def connection_ids(self) -> set[str]:
        with sqlite3.connect(self.data_dir / "connections.sqlite3") as db:
            return {row[0] for row in db.execute("SELECT connection_id FROM connections")}


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    base = tmp_path_factory.mktemp("chat")
    server = start_server(base / "data")
    try:
        data_dir = base / "connections"
        done = subprocess.run(
            [
                sys.executable,
                str(EXAMPLE / "setup.py"),
                "--admin",
                server.admin,
                "--gateway",
                server.gateway,
                "--data-dir",
                str(data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        url = next(
            line.split()[-1] for line in done.stdout.splitlines() if line.startswith("WebSocket:")
        )
        assert url.startswith(server.gateway.replace("http://", "ws://") + "/_aws/execute-api/")
        assert url.endswith("/production")
        yield Chat(server, url, data_dir)
    finally:
        server.stop()


def receive(ws: ClientConnection) -> str:
    message = ws.recv(timeout=WAIT)
    assert isinstance(message, str)
    return message


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_sendmessage_reaches_every_connection(chat: Chat) -> None:
    with connect(chat.url) as alice, connect(chat.url) as bob:
        alice.send(json.dumps({"action": "sendmessage", "data": "hello from alice"}))
        assert receive(alice) == "hello from alice"
        assert receive(bob) == "hello from alice"
        bob.send(json.dumps({"action": "sendmessage", "data": "hi alice"}))
        assert receive(alice) == "hi alice"
        assert receive(bob) == "hi alice"


def test_default_route_tells_how_to_chat(chat: Chat) -> None:
    with connect(chat.url) as ws:
        ws.send("hello?")
        reply = json.loads(receive(ws))
        assert reply["message"] == "Use the sendmessage route to send a message."
        # The id the $default function read from its event is one onconnect stored.
        assert reply["connectionId"] in chat.connection_ids()
        assert reply["connectedAt"].endswith("+00:00")


def test_connections_are_kept_and_forgotten(chat: Chat) -> None:
    with connect(chat.url) as stays:
        stays.send("who am I?")
        stays_id = json.loads(receive(stays))["connectionId"]
        with connect(chat.url) as leaves:
            leaves.send("who am I?")
            leaves_id = json.loads(receive(leaves))["connectionId"]
            assert {stays_id, leaves_id} <= chat.connection_ids()
        # $disconnect runs in the background once the connection has closed.
        wait_for(lambda: leaves_id not in chat.connection_ids(), "ondisconnect")
        assert stays_id in chat.connection_ids()
        stays.send(json.dumps({"action": "sendmessage", "data": "anyone?"}))
        assert receive(stays) == "anyone?"


# --- two browsers -------------------------------------------------------------------------


def browser_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"headless Chromium is required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def page_url(chat: Chat) -> Iterator[str]:
    """The example's index.html served over HTTP, opened with the stage's URL in ?url=."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(EXAMPLE))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/index.html?url={quote(chat.url, safe='')}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def browsers() -> Iterator[Any]:
    """A factory of headless Chromium sessions, all closed at the end."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        browser_unavailable(f"selenium is not installed: {e}")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if binary is None or driver is None:
        browser_unavailable("needs `apt-get install chromium chromium-driver`")
    opened: list[Any] = []

    def open_browser() -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for argument in ("--headless", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
            options.add_argument(argument)
        browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        browser.quit()


def test_two_browsers_chat(chat: Chat, page_url: str, browsers: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def messages(browser: Any) -> list[str]:
        return [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#messages li")]

    first, second = browsers(), browsers()
    for browser in (first, second):
        browser.get(page_url)
        # The page says "not connected", then "connecting to ...", then "connected".
        WebDriverWait(browser, WAIT).until(
            lambda b: (
                b.find_element(By.ID, "status").text in ("connected", "error")
                or b.find_element(By.ID, "status").text.startswith("closed")
            )
        )
        assert browser.find_element(By.ID, "status").text == "connected"

    first.find_element(By.ID, "message").send_keys("hello from the first browser")
    first.find_element(By.ID, "send").click()
    for browser in (first, second):
        WebDriverWait(browser, WAIT).until(lambda b: messages(b))
        assert messages(browser) == ["hello from the first browser"]

    second.find_element(By.ID, "message").send_keys("and back")
    second.find_element(By.ID, "send").click()
    for browser in (first, second):
        WebDriverWait(browser, WAIT).until(lambda b: len(messages(b)) == 2)
        assert messages(browser) == ["hello from the first browser", "and back"]

"""Models ▸ Connect to a server…: the real dialog, driven with qtbot, testing a real llama_cpp.server."""
from __future__ import annotations

import json
import socket
import stat

import pytest
from PySide6.QtCore import Qt

from app.core.net_limits import RemoteLimits
from app.core.server_keys import ServerKeys
from app.gui.connect_dialog import ConnectDialog
from app.gui.remote_servers import RemoteServers
from app.settings import Settings
from tests import remote_peers

KEY = "sk-dialog-90ab"


@pytest.fixture(scope="module")
def llama_server(smollm_path, tmp_path_factory):
    with remote_peers.llama_cpp_server(smollm_path, tmp_path_factory.mktemp("peer") / "server.log") as url:
        yield url


@pytest.fixture
def servers(home, qtbot):
    settings = Settings.load(home.settings_file)
    keys = ServerKeys(home.config, backend=None)  # the file, so the test can look at it
    made = RemoteServers(settings, keys, lambda: settings.save(home.settings_file),
                         limits=RemoteLimits(connect_seconds=2, answer_seconds=5, request_seconds=5))
    yield made
    qtbot.waitUntil(lambda: not made.busy, timeout=30_000)


def dialog_for(qtbot, servers) -> ConnectDialog:
    dialog = ConnectDialog(servers)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_test_lists_the_models_and_save_keeps_the_key_out_of_settings(qtbot, servers, llama_server, home,
                                                                      smollm_path):
    dialog = dialog_for(qtbot, servers)
    assert not dialog.test_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, "Closet box")
    qtbot.keyClicks(dialog.url_edit, llama_server)
    qtbot.keyClicks(dialog.key_edit, KEY)  # llama_cpp.server without a key of its own takes any
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert not dialog.test_button.isEnabled()  # asking, off the GUI thread
    qtbot.waitUntil(lambda: dialog.models.count() > 0, timeout=60_000)
    assert dialog.models.item(0).text() == str(smollm_path)
    assert dialog.status.text() == "Connected: 1 model."
    with qtbot.waitSignal(servers.servers_changed):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert servers.servers() == [{"name": "Closet box", "base_url": llama_server}]
    written = home.settings_file.read_text()
    assert KEY not in written and json.loads(written)["remote_servers"] == [
        {"name": "Closet box", "base_url": llama_server}]
    keys_file = home.config / "server-keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600 and json.loads(keys_file.read_text()) == {
        llama_server: KEY}
    assert servers.backend_for(llama_server).base_url == llama_server
    with qtbot.waitSignal(servers.models_listed, timeout=60_000) as listed:
        servers.list_models(llama_server)  # the kept key, for the picker
    assert listed.args == [llama_server, [str(smollm_path)]]


def test_an_unreachable_server_says_why(qtbot, servers):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dialog = dialog_for(qtbot, servers)
    qtbot.keyClicks(dialog.url_edit, f"http://127.0.0.1:{port}")
    with qtbot.waitSignal(servers.failed, timeout=30_000):
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert "could not reach" in dialog.status.text() and dialog.test_button.isEnabled()
    assert dialog.models.isHidden()


def test_an_address_that_is_not_http_is_refused_before_asking(qtbot, servers):
    dialog = dialog_for(qtbot, servers)
    qtbot.keyClicks(dialog.url_edit, "ftp://example.org")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert "must start with http://" in dialog.status.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and servers.servers() == []


def test_the_models_menu_opens_it(make_hearth, qtbot):
    hearth = make_hearth(include_starter=False)
    models_menu = next(a.menu() for a in hearth.window.menuBar().actions() if a.text().replace("&", "") == "Models")
    assert hearth.window.connect_action in models_menu.actions()
    hearth.window.connect_action.trigger()
    qtbot.waitUntil(lambda: hearth.connect_dialog.isVisible())
    assert hearth.connect_dialog.servers is hearth.remote_servers
    hearth.connect_dialog.reject()

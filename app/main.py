"""Starting Hearth: wire the parts together, show the window, start the engine behind it."""
from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from app import APP_NAME, __version__
from app.paths import Paths, resource

log = logging.getLogger("hearth")


def _setup_logging(paths: Paths) -> None:
    handler = logging.handlers.RotatingFileHandler(paths.log_file, maxBytes=2_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


class Hearth:
    """The running app: every long-lived part, built once and passed to whoever needs it."""

    def __init__(self, paths: Paths, include_starter: bool = True, memory_probe=None,
                 hub_endpoint: str | None = None, retry_base: float | None = None) -> None:
        from app.core.store import Store
        from app.gui.chat.chat_controller import ChatController
        from app.gui.engine_bridge import EngineBridge
        from app.gui.library_controller import LibraryController
        from app.gui.main_window import MainWindow
        from app.settings import Settings

        self.settings = Settings.load(paths.settings_file)
        self.paths = paths = paths.with_models(self.settings.models_folder).ensure()
        self._saved_settings = asdict(self.settings)
        self.store = Store(paths.database)
        recovered = self.store.recover_interrupted()
        self.store.purge_deleted()  # conversations deleted in an earlier session: Undo is long gone
        if recovered:
            log.warning("%d reply(ies) were interrupted by the last exit", recovered)
        self.engine = EngineBridge(log_path=paths.logs / "engine.log")
        probe = {"memory_probe": memory_probe} if memory_probe else {}
        from app.core.gpu import gpu_memory
        from app.gui.model_controller import ModelController

        self.models = ModelController(self.engine, self.settings,
                                      gpu_probe=lambda: gpu_memory(self.engine.client.backend), **probe)
        self.chat = ChatController(self.store, self.engine, self.models, self.settings)
        from app.core.library import lm_studio_folders

        self.library = LibraryController(paths.models, self.settings, include_starter=include_starter,
                                         lm_studio=lm_studio_folders(paths.user_home))
        from app.gui.voice.voice_controller import VoiceController

        self.voice = VoiceController(self.settings, log_path=paths.logs / "speech.log", models_dir=paths.models)
        from app.gui.voice.speaker import Speaker

        self.speaker = Speaker(self.settings, log_path=paths.logs / "voice-out.log")
        self.window = MainWindow(self.chat, self.library, paths.models, voice=self.voice, speaker=self.speaker)
        from app.core.hub import HubClient
        from app.gui.models.download_controller import DownloadController
        from app.gui.models.hub_controller import HubController

        self.hub_client = HubClient(hub_endpoint)
        self.hub = HubController(self.hub_client, judge=self.models.fit_of)
        self.downloads = DownloadController(self.hub_client, paths.models, paths.downloads,
                                            stall_seconds=self.settings.download_stall_seconds,
                                            retry_base=retry_base)
        self.downloads.download_finished.connect(lambda _download, _path: self.library.refresh())
        from app.gui.models_folder_controller import ModelsFolderController

        self.models_folder = ModelsFolderController(paths.models, self.settings, self.chat, self.library,
                                                    self.downloads)
        for follow in (self.library.set_models_dir, self.downloads.set_models_dir, self.window.set_models_dir,
                       self._use_models_folder):
            self.models_folder.folder_changed.connect(follow)
        self.preferences = None
        self.window.preferences_requested.connect(self.open_preferences)
        self.manager = None
        self.window.manager_requested.connect(self.open_manager)
        self.window.discover_requested.connect(self.open_discover)
        self.dictation = None
        self.window.dictation_requested.connect(self.open_dictation)
        from app.gui.voice.voice_picker import add_voice_menu

        self.play_sample = self.speaker.sample  # a voice picker's "Play sample": (voice_path, text)
        self.voice_menu_voices = add_voice_menu(self.window.voice_menu, self.library, self.settings,
                                                self.open_voices, self.save_settings)
        from app.core.server_keys import ServerKeys
        from app.gui.api_server_controller import ApiServerController

        self.keys = ServerKeys(paths.config)
        self.api = ApiServerController(self.engine.backend, self.settings, self.keys)
        self.library.models_changed.connect(
            lambda entries: self.api.set_models([str(e.path) for e in entries if e.usable]))
        self.server_panel = None
        self.window.server_requested.connect(self.open_server_panel)
        from app.gui.remote_servers import RemoteServers

        self.remote_servers = RemoteServers(self.settings, self.keys, self.save_settings)
        self.engine.remotes.factory = self.remote_servers.backend_for  # the window chats through them too
        from app.gui.notice_bar import MODEL
        from app.gui.remote_listing import RemoteListing

        self.remote_listing = RemoteListing(self.remote_servers, self.window.picker, self.chat,
                                            lambda text: self.window.notice.show_notice(text, about=MODEL))
        self.window.connect_requested.connect(self.open_connect)
        # Save preferences when they may have changed, not only at a clean exit.
        self.library.file_added.connect(self.save_settings)
        self.models.state_changed.connect(self.save_settings)
        self.models.options_changed.connect(self.save_settings)
        self.chat.conversation_opened.connect(self.save_settings)  # a crash reopens the chat on screen
        self.window.window_state.changed.connect(self.save_settings)

    def open_manager(self) -> None:
        """Show the Model manager, built the first time it is asked for."""
        if self.manager is None:
            from app.gui.load_settings import LoadSettingsPanel
            from app.gui.models.manager_window import ModelManagerWindow

            load_settings = LoadSettingsPanel(self.models)
            load_settings.template_requested.connect(self.window.template_requested)
            self.manager = ModelManagerWindow(self.hub, self.downloads, self.library,
                                              describe_fit=lambda info: self.models.fit_of(info).message,
                                              load_settings=load_settings)
            self.manager.model_chosen.connect(self._chat_with)
            self.library.file_added.connect(lambda _path: self.save_settings())
        self.manager.show()
        self.manager.raise_()
        self.manager.activateWindow()

    def open_discover(self) -> None:
        """The Model manager on its Discover tab (the welcome's "Get a better model for this computer")."""
        self.open_manager()
        self.manager.show_recommended()

    def open_voices(self) -> None:
        """The Model manager listing the Piper voices to download (Find voices…)."""
        self.open_manager()
        self.manager.show_voices()

    def open_server_panel(self) -> None:
        """Show the local API server's panel, built the first time it is asked for."""
        if self.server_panel is None:
            from app.gui.server_panel import ServerPanel

            settings, api = self.settings, self.api
            panel = self.server_panel = ServerPanel(settings.api_port, settings.api_lan, settings.api_cors,
                                                    api.api_key)
            panel.start_requested.connect(api.start)
            panel.stop_requested.connect(api.stop)
            panel.new_key_requested.connect(api.new_key)
            panel.settings_changed.connect(self._server_settings)
            api.running_changed.connect(lambda running, url: panel.show_state(running, url, api.served_model()))
            api.request_logged.connect(panel.add_request)
            api.key_changed.connect(panel.show_key)
            api.error_raised.connect(panel.show_error)
            self.models.state_changed.connect(
                lambda *_: api.running and panel.show_state(True, api.url, api.served_model()))
            panel.show_state(api.running, api.url, api.served_model())
        self.server_panel.show()
        self.server_panel.raise_()
        self.server_panel.activateWindow()

    def _server_settings(self, port: int, lan: bool, origins: list) -> None:
        self.settings.api_port, self.settings.api_lan, self.settings.api_cors = port, lan, list(origins)
        self.save_settings()

    def open_connect(self) -> None:
        """Models ▸ Connect to a server…: a dialog of its own each time (what it tested is not kept unsaved)."""
        from PySide6.QtCore import Qt

        from app.gui.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self.remote_servers, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.connect_dialog = dialog
        dialog.open()

    def open_preferences(self) -> None:
        """Edit ▸ Preferences, built the first time it is asked for."""
        if self.preferences is None:
            from app.gui.preferences.appearance_page import AppearancePage
            from app.gui.preferences.downloads_page import DownloadsPage
            from app.gui.preferences.folders_page import FoldersPage
            from app.gui.preferences.models_page import ModelsPage
            from app.gui.preferences.preferences_window import PreferencesWindow
            from app.gui.preferences.voice_page import VoicePage

            from PySide6.QtWidgets import QScrollArea

            from app.gui.preferences.load_defaults_page import TITLE as LOAD_DEFAULTS, LoadDefaultsPage

            window = self.preferences = PreferencesWindow(self.window)
            defaults = QScrollArea()  # the form is taller than the window on a small screen
            defaults.setWidgetResizable(True)
            defaults.setWidget(LoadDefaultsPage(self.models))
            window.add_page(LOAD_DEFAULTS, defaults, 0)
            window.add_page("Models", ModelsPage(self.models_folder))
            window.add_page("Folders", FoldersPage(self.library))
            window.add_page("Appearance", AppearancePage(lambda: self.settings.theme, self.window.set_theme))
            from app.gui.voice.voice_picker import VoicePicker

            picker = VoicePicker(self.library, self.settings, play_sample=self.play_sample, find_voices=self.open_voices)
            window.add_page("Voice", VoicePage(self.voice, self.window.send_dictated_action,
                                               find_models=self.open_manager, voice_picker=picker))
            window.add_page("Downloads", DownloadsPage(self.downloads, self.settings))
            window.changed.connect(self.save_settings)
        self.preferences.show()
        self.preferences.raise_()
        self.preferences.activateWindow()

    def _use_models_folder(self, folder: str) -> None:
        self.paths = self.paths.with_models(folder)
        self.voice.models_dir = self.paths.models  # speech models downloaded there are offered
        self.save_settings()

    def open_dictation(self) -> None:
        if self.dictation is None:
            from app.gui.voice.dictation_window import DictationWindow

            self.dictation = DictationWindow(self.voice)
            self.dictation.save_requested.connect(self._save_transcript)
        self.dictation.show()
        self.dictation.raise_()
        self.dictation.activateWindow()

    def _save_transcript(self, path: str, text: str) -> None:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as error:
            self.dictation.status.setText(f"Could not save {Path(path).name}: {error.strerror}.")
            return
        self.dictation.status.setText(f"Saved {path}")

    def open_files(self, files: list[str]) -> None:
        """Files a start was given (``hearth a.gguf``, or a second start's): opened as File ▸ Open GGUF file
        opens them, and the window comes to the front."""
        for path in files:
            self.library.add_file(path)
        from PySide6.QtCore import Qt

        window = self.window
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
        window.show()
        window.raise_()
        window.activateWindow()

    def _chat_with(self, path: str) -> None:
        self.window.picker.select(path)
        self.window.raise_()
        self.window.activateWindow()

    def save_settings(self, *_ignored) -> None:
        """Write settings.json if anything in it changed (each write is fsynced)."""
        current = asdict(self.settings)
        if current == self._saved_settings:
            return
        try:
            self.settings.save(self.paths.settings_file)
            self._saved_settings = current
        except OSError as error:
            log.warning("could not save settings: %s", error)

    def start(self) -> None:
        """Show the window at once; everything slow happens after the first paint."""
        self.window.show()
        self.chat.refresh_conversations()
        self.chat.open_latest_or_new()
        self.remote_listing.restore_last()  # before the library's files, which would choose one of theirs
        self.remote_listing.refresh()
        self.library.refresh()
        self.engine.start()
        self.downloads.start()  # downloads left from the last run carry on
        from app.core.markdown_html import warm_up

        threading.Thread(target=warm_up, daemon=True, name="markdown-warm-up").start()

    def close(self) -> None:
        # Results still on their way from worker threads must not reach a closing window.
        for emitter in (self.library, self.engine, self.hub, self.downloads, self.voice, self.voice.speech,
                        self.api, self.remote_servers):
            emitter.blockSignals(True)
        self.api.close()  # no request reaches an engine that is going away
        if self.server_panel is not None:
            self.server_panel.close()
        self.voice.shutdown()
        if self.dictation is not None:
            self.dictation.close()
        self.downloads.close()
        self.models_folder.cancel()  # a move in progress rolls back: the models stay in the old folder
        if self.preferences is not None:
            self.preferences.close()
        if self.manager is not None:
            self.manager.close()
        self.chat.close()
        self.speaker.shutdown()
        self.engine.shutdown()
        self.window.window_state.store()
        self.save_settings()
        self.store.close()


def dress(app) -> None:
    """Name, icon and style sheet of the application: what ``hearth`` shows, and what the
    screenshot and the benchmarks must show too."""
    from PySide6.QtGui import QIcon

    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("hearth")
    app.setWindowIcon(QIcon(str(resource("hearth.svg"))))
    app.setStyleSheet(resource("style.qss").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    from app.core.offline import quiet_environment

    quiet_environment()  # before anything imports huggingface_hub
    if arguments[:1] == ["--engine-worker"]:  # a frozen bundle starts its engine through itself
        from app.engine.worker import main as engine_main

        return engine_main()
    if arguments[:1] == ["--speech-worker"]:
        from app.engine.speech_worker import main as speech_main

        return speech_main()
    if arguments[:1] == ["--tts-worker"]:  # the speech-out engine (Piper), the same way
        from app.engine.tts_worker import main as tts_main

        return tts_main()
    if arguments[:1] == ["serve"]:  # the API server without a window
        from app.api.serve import main as serve_main

        return serve_main(arguments[1:])
    if arguments[:1] == ["--selftest"]:  # load, ask, transcribe, print one JSON line: no window
        from app.selftest import main as selftest_main

        return selftest_main(arguments[1:])
    parser = argparse.ArgumentParser(prog="hearth", description=f"{APP_NAME}: chat with local GGUF models.")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--no-starter", action="store_true", help="do not offer the starter model")
    parser.add_argument("--selftest", metavar="SPEECH.WAV", nargs="?",
                        help="load the starter models, ask a question, transcribe SPEECH.WAV, print JSON, exit")
    parser.add_argument("files", nargs="*", metavar="FILE.gguf", help="model files to open (in the running "
                                                                      "Hearth, if there is one)")
    args = parser.parse_args(arguments)

    from PySide6.QtWidgets import QApplication

    paths = Paths.from_environment().ensure()
    _setup_logging(paths)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    dress(app)
    from app.gui.single_instance import absolute_files, claim

    files = absolute_files(args.files)
    instance = claim(paths.data, files)  # before the database opens: one Hearth per data folder
    if instance is True:
        log.info("Hearth was already running; handed it %d file(s)", len(files))
        return 0
    if instance is False:
        print("Hearth is already running but does not answer; close it, or end it, and start again.",
              file=sys.stderr)
        return 1
    from app.core.errors import StoreError

    try:
        hearth = Hearth(paths, include_starter=not args.no_starter)
    except StoreError as error:
        # Never start over a damaged conversation file: say where it is and leave it untouched.
        log.error("cannot open the conversation store: %s", error.detail)
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, APP_NAME, f"{error.message}\n\nDetails: {error.detail}\n\n"
                             "Hearth has not changed the file. Move it aside to start with an empty history.")
        return 1
    hearth.start()
    instance.files_received.connect(hearth.open_files)
    if files:
        hearth.open_files(files)
    from app.gui.startup_trace import TRACE_ENV, StartupTrace

    if os.environ.get(TRACE_ENV):
        hearth.startup_trace = StartupTrace(os.environ[TRACE_ENV], hearth.window, hearth.models)
    # Ctrl+C in a terminal or a logout's SIGTERM: quit cleanly. Python runs signal handlers
    # only when it holds control, so a light timer hands it control a few times a second.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: app.quit())
    from PySide6.QtCore import QTimer

    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)
    try:
        return app.exec()
    finally:
        hearth.close()
        instance.close()

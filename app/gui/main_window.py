"""The main window: conversations on the left, the chat on the right, the model on top."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractButton, QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox,
                               QPlainTextEdit, QProgressBar, QSizePolicy, QSplitter, QToolButton, QVBoxLayout, QWidget)

from app import APP_NAME, __version__
from app.core import offload_status, overflow
from app.core.library import STARTER
from app.core.store import Conversation, Message
from app.core.system_report import size_text
from app.gui import theme
from app.gui.chat import input_box
from app.gui.chat.chat_controller import ChatController
from app.gui.chat.chat_view import ChatView
from app.gui.chat.composer import Composer
from app.gui.chat.conversation_files import EXPORT_TYPES
from app.gui.chat.conversation_list import ConversationList
from app.gui.chat.empty_chat import EmptyChat
from app.gui.chat.search_dialog import SearchDialog
from app.gui.chat.settings_dialog import ConversationSettingsDialog
from app.gui.icons import Icons
from app.gui.library_controller import LibraryController
from app.gui.live_figures import LiveFigures
from app.gui.load_progress_bar import LoadProgressBar
from app.gui.load_settings import LoadSettingsDialog
from app.gui.model_picker import ModelPicker
from app.gui.model_pill import ModelPill
from app.gui.notice_bar import CONVERSATION, MODEL, SAVING, NoticeBar
from app.gui.save_dialog import ask_save_path
from app.gui.shortcuts_window import ShortcutsWindow, action_keys, menu_groups
from app.gui.template_dialog import TemplateDialog
from app.gui.window_state import WindowState
from app.gui.voice.talk_controller import TalkController
from app.gui.voice.voice_menu import VoiceMenu

NO_MODEL_HELP = (
    "<h3>No model yet</h3>"
    "<p>Hearth chats with GGUF model files that stay on this computer.</p>"
    "<p><a href=\"open\">Open a GGUF file…</a> (Ctrl+O), drop a <tt>.gguf</tt> file on this window,"
    " or put files in your models folder:<br><tt>{models}</tt></p>"
    "<p><a href=\"manager\">Find and download a model…</a> (Ctrl+Shift+M) from Hugging Face, with an"
    " estimate of what fits this computer.</p>"
)
CHOOSE_MODEL_HELP = "<h3>Choose a model above to start chatting</h3>"
NOT_FOR_REMOTE = ("{name} runs on its server, which chooses its {what}; Hearth has nothing to set for it here. "
                  "Choose a model file above to change these.")


class MainWindow(QMainWindow):
    manager_requested = Signal()
    discover_requested = Signal()  # the Model manager, on its Discover tab (the welcome's "better model")
    dictation_requested = Signal()
    server_requested = Signal()  # the local API server's panel
    template_requested = Signal(str)  # a model's path: choose its chat template (the load settings' "Change…")
    connect_requested = Signal()  # Models ▸ Connect to a server…
    preferences_requested = Signal()

    def __init__(self, chat: ChatController, library: LibraryController, models_dir: Path, voice,
                 speaker=None, parent=None) -> None:
        super().__init__(parent)
        self.chat = chat
        self.models = chat.models  # the loaded model, its state and its load options
        self.library = library
        self.voice = voice  # VoiceController: push to talk into the composer, and the voice conversation
        self.talk = TalkController(voice, chat, speaker, parent=self)  # Voice ▸ Talk; speaker None: replies shown
        self.speaker = speaker  # Speaker: replies read aloud (None: no reading aloud)
        self.read_aloud = None
        self._shown_conversation: int | None = None
        self._search: SearchDialog | None = None
        self._undoable: list[tuple[int, str]] = []  # chats deleted while the notice offering Undo is up
        self._undo_text = ""
        self.settings_dialog: ConversationSettingsDialog | None = None
        self.load_settings_dialog: LoadSettingsDialog | None = None
        self.models_dir = models_dir
        self.setWindowTitle(APP_NAME)
        self.resize(1100, 720)
        self.setAcceptDrops(True)
        self._build()
        self._build_menus()
        self._connect()
        self._order_tabs()
        self.window_state = WindowState(self, self.splitter, chat.settings)
        self.window_state.restore()
        self.composer.focus()  # the window opens ready to type

    # -- layout -----------------------------------------------------------------------
    def _build(self) -> None:
        self.icons = Icons()  # every icon the window shows, redrawn when the theme changes
        self.conversations = ConversationList()
        self.icons.put(self.conversations.new_button, "new_chat", "on_accent")
        self.icons.put(self.conversations.filter_icon, "filter")
        self.picker = ModelPicker(describe_fit=lambda info: self.models.fit_of(info).message)
        self.notice = NoticeBar()
        self.view = ChatView()
        self.view.link_activated.connect(self._on_link)
        self.empty_chat = EmptyChat()  # an empty chat's suggestions, and on the first run the welcome
        self.view.set_start(self.empty_chat)
        self.composer = composer = Composer(self.voice, self.chat.settings, self.icons)
        # The composer's parts by their old names: tests and the screenshot scripts reach them here.
        self.input, self.send_button, self.stop_button = composer.input, composer.send_button, composer.stop_button
        self.mic_button, self.mic_level = composer.mic_button, composer.mic_level

        self.system_toggle = QToolButton()
        self.system_toggle.setText("System prompt ▸")
        self.system_toggle.setCheckable(True)
        self.system_toggle.setAutoRaise(True)
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setObjectName("systemPrompt")
        self.system_prompt.setPlaceholderText(
            "Instructions for the model in this conversation (empty: the model's own default).")
        self.system_prompt.setMaximumHeight(90)
        self.system_prompt.setTabChangesFocus(True)  # Tab moves on: a text box must not trap the keyboard
        self.system_prompt.hide()
        self._system_timer = QTimer(self)
        self._system_timer.setSingleShot(True)
        self._system_timer.setInterval(400)

        self.load_settings_button = QToolButton()
        self.load_settings_button.setObjectName("loadSettingsButton")
        self.load_settings_button.setText("Load settings…")  # read by screen readers; the row shows the icon
        self.icons.put(self.load_settings_button, "load_settings")
        self.load_settings_button.setToolButtonStyle(Qt.ToolButtonIconOnly)  # the picker's row stays narrow
        self.load_settings_button.setToolTip("Load settings: how the chosen model is loaded (context, GPU, threads, "
                                             "cache) (Ctrl+Shift+L)")
        self.load_settings_button.setAutoRaise(True)
        self.model_pill = ModelPill()  # the model's state at a glance, at the toolbar's right end
        top = QHBoxLayout()
        top.addWidget(self.picker, 1)
        top.addWidget(self.load_settings_button, 0, Qt.AlignTop)
        top.addWidget(self.system_toggle, 0, Qt.AlignTop)

        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(8, 8, 8, 8)
        column.addLayout(top)
        column.addWidget(self.system_prompt)
        column.addWidget(self.notice)
        column.addWidget(self.view, 1)
        column.addWidget(self.composer)

        self.splitter = splitter = QSplitter()
        splitter.setObjectName("sidebarSplitter")
        splitter.addWidget(self.conversations)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 860])
        self.setCentralWidget(splitter)

        for widget, name in ((self.view, "Conversation"),
                             (self.conversations.list, "Conversations"), (self.picker.combo, "Model"),
                             (self.system_prompt, "System prompt"), (self.notice, "Notice")):
            widget.setAccessibleName(name)
        self.status_model = QLabel("No model")
        self.status_speed = QLabel("")
        self.status_offload = QLabel("")  # where the model runs: "28/32 layers on the GPU (…)" or "CPU"
        self.context_gauge = QProgressBar()
        self.context_gauge.setObjectName("contextGauge")
        self.context_gauge.setMaximumWidth(180)
        self.context_gauge.setFormat("Context: no reply yet")
        self.context_gauge.setValue(0)
        self.context_gauge.setProperty("full", False)
        for label, name in ((self.status_model, "statusModel"),
                            (self.status_offload, "statusOffload"), (self.status_speed, "statusSpeed")):
            label.setObjectName(name)
            self.statusBar().addPermanentWidget(label)
        self.statusBar().addPermanentWidget(self.context_gauge)
        self.status_memory = QLabel("")
        self.status_memory.setObjectName("statusMemory")
        self.status_memory.setToolTip("RAM the engine process holds (the model, its context and llama.cpp)")
        self.statusBar().addPermanentWidget(self.status_memory)
        self.load_progress = LoadProgressBar(self.models)
        self.statusBar().addPermanentWidget(self.load_progress)
        self.statusBar().setSizeGripEnabled(True)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = QAction("&New chat", self, shortcut=QKeySequence.New, triggered=self.new_chat)
        self.open_action = QAction("&Open GGUF file…", self, shortcut=QKeySequence.Open, triggered=self.open_model_file)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.Quit, triggered=self.close)
        for action in (self.new_action, self.open_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        # Ctrl+, stays the conversation's settings (Chat menu); Hearth-wide preferences get their own key.
        self.preferences_action = QAction("&Preferences…", self, shortcut=QKeySequence("Ctrl+Shift+P"),
                                          triggered=lambda: self.preferences_requested.emit())
        self.preferences_action.setMenuRole(QAction.PreferencesRole)
        edit_menu.addAction(self.preferences_action)
        models_menu = self.menuBar().addMenu("&Models")
        self.manager_action = QAction("&Model manager…", self, shortcut=QKeySequence("Ctrl+Shift+M"),
                                      triggered=lambda: self.manager_requested.emit())
        self.manager_action.setToolTip("Find, download and manage GGUF models (Ctrl+Shift+M)")
        self.load_settings_action = QAction("&Load settings…", self, shortcut=QKeySequence("Ctrl+Shift+L"),
                                            triggered=self.open_load_settings)
        models_menu.addAction(self.manager_action)
        models_menu.addAction(self.open_action)
        models_menu.addAction(self.load_settings_action)
        self.template_action = QAction("Chat &template…", self, triggered=lambda: self.open_template_dialog())
        self.template_action.setToolTip("Choose the chat format the model's prompts are written in")
        models_menu.addAction(self.template_action)
        models_menu.addSeparator()
        self.server_action = QAction("Local &API server…", self, shortcut=QKeySequence("Ctrl+Shift+A"),
                                     triggered=lambda: self.server_requested.emit())
        self.server_action.setToolTip("Let other programs use Hearth's models through an OpenAI-compatible API "
                                      "(Ctrl+Shift+A)")
        self.server_action.setIconText("API server")
        models_menu.addAction(self.server_action)
        self.connect_action = QAction("&Connect to a server…", self, triggered=lambda: self.connect_requested.emit())
        self.connect_action.setToolTip("Chat with a model on another machine's OpenAI-compatible server")
        models_menu.addAction(self.connect_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        toolbar.addAction(self.new_action)
        toolbar.addAction(self.manager_action)
        toolbar.addAction(self.server_action)
        self.voice_menu = VoiceMenu(self.voice, self.chat.settings, toggle_talk=self.mic_button.toggle_listening,
                                    open_dictation=self.dictation_requested.emit,
                                    find_models=self.manager_requested.emit, converse=self.talk.toggle, parent=self)
        self.menuBar().addMenu(self.voice_menu)
        self.send_dictated_action = self.voice_menu.send_dictated_action
        chat_menu = self.menuBar().addMenu("&Chat")
        # Esc stops the reply, and ends a voice conversation (one key: two actions on it would cancel out).
        self.stop_action = QAction("&Stop reply", self, shortcut=QKeySequence(Qt.Key_Escape),
                                   triggered=self._stop_pressed, enabled=False)
        focus_action = QAction("&Write a message", self, shortcut=QKeySequence("Ctrl+L"),
                               triggered=lambda: self.composer.focus())
        self.search_action = QAction("&Search conversations…", self, shortcut=QKeySequence("Ctrl+K"),
                                     triggered=self.open_search)
        self.settings_action = QAction("Conversation &settings…", self, shortcut=QKeySequence("Ctrl+,"),
                                       triggered=self.open_settings)
        self.export_action = QAction("&Export conversation…", self, shortcut=QKeySequence("Ctrl+E"),
                                     triggered=self.export_conversation)
        self.import_action = QAction("&Import conversation…", self, shortcut=QKeySequence("Ctrl+I"),
                                     triggered=self.import_conversation)
        self.titles_action = QAction("Let the model &name new chats", self, checkable=True,
                                     checked=self.chat.settings.model_titles, toggled=self.chat.set_model_titles)
        for action in (self.stop_action, focus_action, self.search_action, self.settings_action):
            chat_menu.addAction(action)
        chat_menu.addAction(self.titles_action)
        chat_menu.addSeparator()
        chat_menu.addActions([self.conversations.next_action, self.conversations.previous_action])
        chat_menu.addSeparator()
        # The messages' buttons are not Tab stops (the chat is one), so the last reply's are keys too.
        self.copy_reply_action = QAction("&Copy the last reply", self, shortcut=QKeySequence("Ctrl+Shift+C"),
                                         triggered=lambda: self._press_last_reply("copy_button"))
        self.regenerate_action = QAction("&Regenerate the last reply", self, shortcut=QKeySequence("Ctrl+R"),
                                         triggered=lambda: self._press_last_reply("regenerate_button"))
        chat_menu.addActions([self.copy_reply_action, self.regenerate_action])
        chat_menu.addSeparator()
        chat_menu.addAction(self.export_action)
        chat_menu.addAction(self.import_action)
        view_menu = self.menuBar().addMenu("&View")
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_actions = {}
        for key, label in (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
            action = QAction(label, self, checkable=True, triggered=lambda _=False, key=key: self.set_theme(key))
            theme_menu.addAction(action)
            self.theme_actions[key] = action
        self.set_theme(self.chat.settings.theme)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme)
        toolbar.addAction(self.search_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.model_pill)
        end = QWidget()
        end.setFixedWidth(8)
        toolbar.addWidget(end)
        for action, icon in ((self.new_action, "new_chat"), (self.open_action, "open"), (self.manager_action, "manager"),
                             (self.server_action, "server"), (self.search_action, "search"),
                             (self.preferences_action, "preferences"), (self.load_settings_action, "load_settings"),
                             (self.connect_action, "connect"), (self.export_action, "export"),
                             (self.import_action, "import")):
            self.icons.put(action, icon)
        help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = self.icons.put(QAction("&Keyboard shortcuts", self, shortcut=QKeySequence(Qt.Key_F1),
                                                       triggered=self.show_shortcuts), "shortcuts")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(QAction("&About Hearth", self, triggered=self._about))
        self.system_info_action = self.icons.put(QAction("System &information…", self, triggered=self.show_system_info),
                                                 "system_info")
        self.system_info_action.setToolTip("This computer, the llama.cpp build and the speech engine, to copy "
                                           "into a bug report")
        help_menu.insertAction(help_menu.actions()[-1], self.system_info_action)
        self.shortcuts_window: ShortcutsWindow | None = None
        self.system_info_window = None

    def _connect(self) -> None:
        chat, library = self.chat, self.library
        self.conversations.new_requested.connect(self.new_chat)
        self.conversations.selected.connect(chat.open_conversation)
        self.conversations.rename_requested.connect(chat.rename_conversation)
        self.conversations.delete_requested.connect(chat.delete_conversation)
        self.picker.model_chosen.connect(chat.choose_model)
        self.load_settings_button.clicked.connect(self.open_load_settings)
        self.composer.submitted.connect(self._send)
        self.composer.stop_requested.connect(chat.stop)
        self.composer.edit_last_requested.connect(self.edit_last_message)
        self.composer.listening_started.connect(self.notice.hide)
        self.composer.talk_requested.connect(self.talk.toggle)
        self.talk.state_changed.connect(self._on_talk_state)
        self.talk.message_raised.connect(self.notice.show_error)
        self.talk.heard_partial.connect(lambda text: self.composer.show_talk_state(f"Listening… “{text}”"))
        self.empty_chat.prompt_chosen.connect(self._use_suggestion)
        self.empty_chat.better_model_requested.connect(self.discover_requested)
        self.system_toggle.toggled.connect(self._toggle_system_prompt)
        self.system_prompt.textChanged.connect(self._system_timer.start)
        self._system_timer.timeout.connect(lambda: chat.set_system_prompt(self.system_prompt.toPlainText()))

        chat.conversations_changed.connect(self._on_conversations)
        chat.conversation_opened.connect(self._on_conversation_opened)
        chat.message_added.connect(self.view.add_message)
        chat.message_focused.connect(self.view.focus_message)
        chat.conversation_deleted.connect(self._on_deleted)
        chat.context_measured.connect(self._on_context)
        self.view.edit_requested.connect(self._edit)
        self.view.regenerate_requested.connect(chat.regenerate)
        self.view.continue_requested.connect(chat.continue_reply)
        self.view.delete_requested.connect(chat.delete_message)
        self.view.version_requested.connect(chat.show_version)
        self.conversations.pin_requested.connect(chat.set_pinned)
        chat.reply_grew.connect(self.view.append_text)
        chat.reply_ended.connect(self.view.update_message)
        chat.busy_changed.connect(self._on_busy)
        self.models.state_changed.connect(self._on_model_state)
        self.template_requested.connect(self.open_template_dialog)
        self.models.loaded.connect(
            lambda report: self.status_offload.setText(offload_status.describe(report, self.models.gpu_probe())))
        chat.speed_measured.connect(lambda rate: self.status_speed.setText(f"{rate:.1f} tok/s"))
        self.figures = LiveFigures(self.models.engine, self.models, lambda: chat.request_id, parent=self)
        self.figures.speed_changed.connect(lambda rate: self.status_speed.setText(f"{rate:.1f} tok/s"))
        self.figures.context_changed.connect(self._on_context)
        self.figures.memory_changed.connect(
            lambda rss: self.status_memory.setText(f"Engine {size_text(rss)}" if rss else ""))
        self.models.load_cancelled.connect(lambda text: self.notice.show_notice(text, about=MODEL))
        chat.error_raised.connect(self.notice.show_error)
        chat.notice_raised.connect(self.notice.show_notice)
        chat.model_needed.connect(lambda text: self.notice.show_error(text, about=MODEL))
        chat.files.notice_raised.connect(lambda text: self.notice.show_notice(text, about=CONVERSATION))
        chat.saver.failed.connect(lambda text: self.notice.show_error(text, about=SAVING))
        chat.saver.recovered.connect(lambda: self.notice.withdraw(SAVING))
        self.view.retry_requested.connect(chat.retry)
        self.models.load_blocked.connect(self._on_load_blocked)
        self.voice.error.connect(lambda target, message: target == "chat" and self.notice.show_error(message))
        if self.speaker is not None:  # reading aloud: the speaker buttons, the Voice menu's part, the status
            from app.gui.voice.read_aloud_panel import install

            self.read_aloud = install(self, self.speaker)
        library.models_changed.connect(self._on_models)
        library.file_added.connect(self.picker.select)
        library.file_rejected.connect(self.notice.show_error)

    def _on_talk_state(self, _state: str) -> None:
        self.composer.show_talk_state(self.talk.label)
        self.voice_menu.conversation_action.setChecked(self.talk.active)
        self.update_stop_action()

    def update_stop_action(self) -> None:
        """Esc works while there is something to stop: a reply being written, a conversation, a reading."""
        reading = self.read_aloud is not None and self.read_aloud.speaker.speaking
        self.stop_action.setEnabled(self.chat.busy or self.talk.active or reading)

    # -- slots --------------------------------------------------------------------------
    def _send(self, text: str) -> None:
        self._flush_system_prompt()
        if self.chat.send(text):
            self.composer.clear()
            self.notice.hide()

    def _edit(self, message_id: int, text: str) -> None:
        self._flush_system_prompt()
        if not self.chat.edit(message_id, text):
            widget = self.view.widget_of(message_id)
            if widget is not None:
                widget.start_edit(text)  # not sent (a reply is still being written): keep the words

    def edit_last_message(self) -> None:
        widget = self.view.last_user_message()
        if widget is not None and not self.chat.busy:
            widget.start_edit()

    def _on_deleted(self, conversation_id: int, title: str) -> None:
        """One Undo for every chat deleted while its notice stays up: Delete pressed three times in the
        list must not leave two chats that only a restart (which purges them) would remember."""
        batch = self._undoable if self.notice.text == self._undo_text else []
        batch.append((conversation_id, title))
        self._undoable = batch
        first = batch[0][1]
        self._undo_text = (f"Deleted “{first}”." if len(batch) == 1 else
                           f"Deleted “{first}” and {len(batch) - 1} more conversation{'s' * (len(batch) > 2)}.")
        self.notice.show_notice(self._undo_text, "Undo", lambda: self._undo_deletes(batch))

    def _undo_deletes(self, batch: list[tuple[int, str]]) -> None:
        self._undoable, self._undo_text = [], ""
        for conversation_id, _title in reversed(batch):  # the first one deleted is the one left open
            self.chat.undo_delete(conversation_id)

    def _press_last_reply(self, button: str) -> None:
        """What a click on the last reply's button does, when that button is there to click."""
        replies = [widget for widget in self.view.message_widgets() if widget.role == "assistant"]
        target = getattr(replies[-1], button) if replies else None
        if target is not None and target.isVisibleTo(replies[-1]) and target.isEnabled():
            target.click()

    def show_shortcuts(self) -> None:
        """Help ▸ Keyboard shortcuts: the menus' keys, then the keys of the parts that have focus."""
        if self.shortcuts_window is None:
            self.shortcuts_window = ShortcutsWindow(self)
        groups = menu_groups(self.menuBar())
        groups.append(("In the conversation list", action_keys(self.conversations.list.actions())))
        groups.append(("In the message box", [(keys, what) for keys, what in input_box.KEYS]))
        self.shortcuts_window.show_groups(groups)
        self.shortcuts_window.show()
        self.shortcuts_window.raise_()
        self.shortcuts_window.activateWindow()

    def show_system_info(self) -> None:
        """Help ▸ System information: gathered afresh each time it opens."""
        if self.system_info_window is None:
            from app.gui.system_info import SystemInfo
            from app.gui.system_info_window import SystemInfoWindow

            info = SystemInfo(self.models.engine, self.models, getattr(self.voice, "speech", None), parent=self)
            self.system_info_window = SystemInfoWindow(info, self)
        self.system_info_window.info.collect()
        self.system_info_window.show()
        self.system_info_window.raise_()
        self.system_info_window.activateWindow()

    def _order_tabs(self) -> None:
        """Tab goes round the window as it reads, left to right and top to bottom, and the chat is one
        stop: its messages' buttons and links are reached with the mouse, the arrows scroll it."""
        chain = [self.conversations.new_button, self.conversations.filter, self.conversations.list, self.picker.combo,
                 self.load_settings_button, self.system_toggle,
                 self.system_prompt, *self.notice.findChildren(QAbstractButton), self.view, self.input,
                 self.send_button, self.stop_button, self.mic_button, self.composer.talk_button]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _on_context(self, used: int, size: int) -> None:
        mark = "≈" if self.chat.context_estimated and self.models.remote else ""  # not the model's own count
        self.context_gauge.setRange(0, max(size, 1))
        self.context_gauge.setValue(min(used, size))
        # A server may not say its context window: then the count alone.
        self.context_gauge.setFormat(f"Context {mark}{used:,} / {size:,}" if size else f"Context {mark}{used:,} tokens")
        self._describe_gauge()
        full = bool(size) and used >= size * 0.9
        if self.context_gauge.property("full") != full:  # restyling costs a few ms: only on a change
            self.context_gauge.setProperty("full", full)
            self.context_gauge.style().unpolish(self.context_gauge)
            self.context_gauge.style().polish(self.context_gauge)

    def _describe_gauge(self) -> None:
        policy = self.chat.settings_of_conversation()[overflow.KEY]
        if self.models.remote:
            how = ("an estimate (≈, about four characters a token): the server has no route to count with the "
                   "model's tokenizer" if self.chat.context_estimated else "counted by the server's tokenizer")
            self.context_gauge.setToolTip(f"How much of the model's context window the conversation uses, {how}.")
            return
        self.context_gauge.setToolTip(f"How much of the model's context window the conversation uses, counted with "
                                      f"the model's own tokenizer. When it is full: {overflow.LABELS[policy].lower()} "
                                      "(Conversation settings, Ctrl+,).")

    def open_search(self) -> None:
        if self._search is None:
            self._search = SearchDialog(self.chat.search, self)
            self._search.chosen.connect(self.chat.open_message)
        self._search.open_fresh()

    def open_settings(self) -> None:
        chat = self.chat
        if chat.conversation is None:
            return
        self._flush_system_prompt()
        dialog = ConversationSettingsDialog(chat.conversation.system_prompt, chat.settings.system_prompt_presets,
                                            chat.conversation.options, chat.default_settings(), self.models.sampling,
                                            self)
        self.settings_dialog = dialog  # tests drive it
        dialog.finished.connect(lambda result: self._settings_closed(dialog, result))
        dialog.open()

    def open_template_dialog(self, path: str = "") -> None:
        """Models ▸ Chat template… for ``path`` (the chosen model by default); the load settings' Change… too."""
        path = path or self.models.path
        if not path:
            self.notice.show_error("Choose a model first: its chat template is kept with it.")
            return
        if path == self.models.path and self.models.remote:
            self.notice.show_notice(NOT_FOR_REMOTE.format(name=self.models.name, what="chat template"), about=MODEL)
            return
        name = self.models.name if path == self.models.path else Path(path).name
        self.template_dialog = TemplateDialog(self.models, path, name, self)  # tests drive it
        self.template_dialog.open()

    def _settings_closed(self, dialog: ConversationSettingsDialog, result: int) -> None:
        if not result:
            return
        chat = self.chat
        chat.settings.system_prompt_presets = dialog.presets
        chat.set_system_prompt(dialog.system_prompt.toPlainText())
        self.system_prompt.blockSignals(True)
        self.system_prompt.setPlainText(dialog.system_prompt.toPlainText())
        self.system_prompt.blockSignals(False)
        chat.set_conversation_settings(dialog.changes())
        self._describe_gauge()

    def open_load_settings(self) -> None:
        """The load settings of the model chosen in the picker (or loaded), in a dialog."""
        entry = self.picker.current_entry()
        path = str(entry.path) if entry is not None and entry.usable else self.models.path
        if not path:
            self.notice.show_error("Choose a model first: load settings belong to a model.", about=MODEL)
            return
        if path == self.models.path and self.models.remote:
            self.notice.show_notice(NOT_FOR_REMOTE.format(name=self.models.name, what="load settings (context, "
                                                          "GPU, threads, cache)"), about=MODEL)
            return
        name = entry.display_name if entry is not None and str(entry.path) == path else self.models.name
        info = entry.info if entry is not None and str(entry.path) == path else self.models.info
        if self.load_settings_dialog is not None:
            self.load_settings_dialog.close()
        dialog = self.load_settings_dialog = LoadSettingsDialog(self.models, path, info, name, self)
        dialog.panel.template_requested.connect(self.template_requested)
        dialog.open()

    def export_conversation(self) -> None:
        if self.chat.conversation is None:
            return
        name = "".join(c if c.isalnum() or c in " -_" else "_" for c in self.chat.conversation.title).strip()
        chosen = ask_save_path(self, "Export conversation", name or "conversation", EXPORT_TYPES)
        if chosen:
            self.chat.export_conversation(chosen[0])

    def import_conversation(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Import conversation", "",
                                                    "Conversations (*.json);;All files (*)")
        if path:
            self.chat.import_conversation(path)

    def set_theme(self, key: str) -> None:
        """Light, dark, or whatever the system uses (and follow it when it changes)."""
        self.chat.settings.theme = theme.apply(key)
        if hasattr(self, "icons"):  # drawn in the palette's colours: again in the new ones
            self.icons.refresh()
            self.model_pill.refresh_icon()
        for name, action in self.theme_actions.items():
            action.setChecked(name == self.chat.settings.theme)
        if self.chat.conversation is not None:  # code colours are chosen when a message is drawn
            self.chat.reopen()

    def _on_system_scheme(self, _scheme) -> None:
        if self.chat.settings.theme == theme.SYSTEM:
            self.set_theme(theme.SYSTEM)

    def _flush_system_prompt(self) -> None:
        if self._system_timer.isActive():
            self._system_timer.stop()
            self.chat.set_system_prompt(self.system_prompt.toPlainText())

    def _toggle_system_prompt(self, shown: bool) -> None:
        self.system_prompt.setVisible(shown)
        self.system_toggle.setText("System prompt ▾" if shown else "System prompt ▸")

    def _on_conversations(self, conversations: list[Conversation]) -> None:
        current = self.chat.conversation.id if self.chat.conversation else None
        self.conversations.set_conversations(conversations, current)
        self.empty_chat.set_first_run(len(conversations) <= 1)  # only the empty chat the first start made
        title = next((c.title for c in conversations if c.id == current), "")
        self.setWindowTitle(f"{title} — {APP_NAME}" if title else APP_NAME)

    def new_chat(self) -> None:
        self.chat.new_conversation()
        self.composer.focus()

    def _on_conversation_opened(self, conversation: Conversation, messages: list[Message]) -> None:
        self._flush_system_prompt()
        self.setWindowTitle(f"{conversation.title} — {APP_NAME}")
        if conversation.id != self._shown_conversation:
            self.notice.withdraw(CONVERSATION)
            self._shown_conversation = conversation.id
        self.conversations.select(conversation.id)
        self.system_prompt.blockSignals(True)
        self.system_prompt.setPlainText(conversation.system_prompt)
        self.system_prompt.blockSignals(False)
        self.view.show_messages(messages, self.chat.versions())
        self._describe_gauge()
        self._update_placeholder()

    def _stop_pressed(self) -> None:
        """Esc: end a voice conversation; else silence a reply being read aloud first, and pressed again,
        stop the reply being written."""
        if self.talk.active:
            self.talk.end()
            return
        if self.read_aloud is not None and self.read_aloud.stop():
            return
        self.chat.stop()

    def _on_busy(self, busy: bool) -> None:
        self.composer.set_busy(busy)
        self.update_stop_action()

    def _on_model_state(self, state: str, name: str) -> None:
        self.status_model.setText(name or "No model")
        self.model_pill.show_state(state, self.models.remote, name)
        if not self.models.ready:
            self.status_offload.setText("")  # said again by the next load's report
        self.picker.show_model(self.models.path)  # the picker names the model the status bar names
        if state == "ready":
            self.notice.withdraw(MODEL)
        self._update_placeholder()

    def _on_models(self, entries: list) -> None:
        models = self.models
        if models.path and not models.remote and not any(str(e.path) == models.path and e.usable for e in entries):
            self.chat.forget_model()  # deleted, or taken off the list
        current = models.path or self.chat.settings.last_model
        self.picker.set_entries(entries, current)
        entry = self.picker.current_entry()
        if entry is not None and entry.usable and not models.path:
            self.chat.choose_model(str(entry.path), entry.display_name, entry.info)
        elif not models.path and len([e for e in entries if e.usable]) == 1:
            only = next(e for e in entries if e.usable)
            self.picker.select(str(only.path))
        self._update_placeholder()

    def _on_load_blocked(self, path: str, name: str, why: str) -> None:
        self.picker.show_model(self.models.path)  # back to the model that still answers, if any
        self.notice.show_error(
            f"{name} was not loaded. {why}", "Load anyway",
            lambda: self.chat.choose_model(path, name, force=True), about=MODEL)

    def _update_placeholder(self) -> None:
        if not self.picker.entries and not self.models.path:  # a server's model answers without a file
            self.view.set_placeholder(NO_MODEL_HELP.format(models=self.models_dir))
        elif not self.models.path:
            self.view.set_placeholder(CHOOSE_MODEL_HELP)
        else:
            self.view.set_placeholder("")
        self.view.show_start(bool(self.models.path))
        entry = next((e for e in self.picker.entries if str(e.path) == self.models.path), None)
        self.empty_chat.welcome.show_model(self.models.name, self.models.ready,
                                           starter=entry is not None and entry.source == STARTER)

    def _use_suggestion(self, prompt: str) -> None:
        """A suggestion card: its words in the message box, ready to send or to change."""
        self.composer.set_text(prompt)
        self.composer.focus()

    def _on_link(self, link: str) -> None:
        if link == "open":
            self.open_model_file()
        elif link == "manager":
            self.manager_requested.emit()

    def open_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open GGUF model", str(Path.home()),
                                              "GGUF models (*.gguf);;All files (*)")
        if path:
            self.library.add_file(path)

    def set_models_dir(self, folder: str) -> None:
        """The models folder moved (Preferences): the help text names the new one."""
        self.models_dir = Path(folder)
        self._update_placeholder()

    def _about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME}</b> {__version__}<br>Language models on your own computer.<br>"
                          f"Models folder: {self.models_dir}")

    # -- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.toLocalFile().lower().endswith(".gguf") for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(".gguf"):
                self.library.add_file(url.toLocalFile())
        event.acceptProposedAction()

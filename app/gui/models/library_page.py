"""What is on this computer: every GGUF model the library knows, where it lives, and what it is; and the
Piper voices (a voice is its .onnx with its .onnx.json: one row, deleted together)."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QPushButton, QScrollArea, QSplitter, QTextBrowser,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.core.gguf_info import ArrayInfo, format_bytes
from app.core.library import LibraryEntry
from app.core.voice_library import InstalledVoice

DETAIL_KEYS = ("block_count", "embedding_length", "attention.head_count", "attention.head_count_kv",
               "context_length", "attention.sliding_window", "expert_count")


class LibraryPage(QWidget):
    use_requested = Signal(object)  # LibraryEntry
    delete_requested = Signal(object)  # LibraryEntry or InstalledVoice
    reveal_requested = Signal(object)
    import_requested = Signal()
    add_folder_requested = Signal()

    def __init__(self, describe_fit=None, load_settings=None, parent=None) -> None:
        super().__init__(parent)
        self._entries: list[LibraryEntry] = []
        self._voices: list[InstalledVoice] = []
        self._describe_fit = describe_fit  # GGUFInfo -> "Fits: …", from the chat controller's settings
        self.load_settings = load_settings  # LoadSettingsPanel: the selected model's load options, or None
        self.tree = QTreeWidget()
        self.tree.setObjectName("libraryTree")
        self.tree.setHeaderLabels(["Model", "Size", "Where", "File"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.Stretch)
        self.details = QTextBrowser()
        self.details.setObjectName("libraryDetails")
        self.use_button = QPushButton("Chat with it")
        self.reveal_button = QPushButton("Show in folder")
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("deleteButton")
        self.import_button = QPushButton("Import a file…")
        self.folder_button = QPushButton("Add a folder…")
        for button, signal in ((self.use_button, self.use_requested), (self.reveal_button, self.reveal_requested),
                               (self.delete_button, self.delete_requested)):
            button.clicked.connect(lambda _checked=False, s=signal: self._emit_current(s))
        self.import_button.clicked.connect(self.import_requested)
        self.folder_button.clicked.connect(self.add_folder_requested)
        buttons = QHBoxLayout()
        for button in (self.use_button, self.reveal_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.folder_button)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.tree)
        if load_settings is not None:
            below = QSplitter(Qt.Horizontal)
            below.addWidget(self.details)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(load_settings)
            below.addWidget(scroll)
            splitter.addWidget(below)
        else:
            splitter.addWidget(self.details)
        splitter.setSizes([380, 200])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.tree.currentItemChanged.connect(lambda *_: self._show_current())
        self.tree.itemDoubleClicked.connect(lambda *_: self._emit_current(self.use_requested))
        self._show_current()

    def set_entries(self, entries: list[LibraryEntry]) -> None:
        self._entries = list(entries)
        self._fill()

    def set_voices(self, voices: list[InstalledVoice]) -> None:
        self._voices = list(voices)
        self._fill()

    def _fill(self) -> None:
        current = self.current_entry()
        current_path = _path_of(current) if current is not None else None
        self.tree.clear()
        for voice in self._voices:
            name = f"Voice: {voice.display_name}" if voice.usable else f"⚠ Voice: {voice.key}"
            item = QTreeWidgetItem([name, format_bytes(voice.size), voice.source, str(voice.model)])
            item.setData(0, Qt.UserRole, voice)
            item.setToolTip(0, str(voice.model) if voice.usable else voice.problem)
            item.setTextAlignment(1, Qt.AlignRight | Qt.AlignVCenter)
            self.tree.addTopLevelItem(item)
            if current_path == voice.model:
                self.tree.setCurrentItem(item)
        for entry in self._entries:
            name = entry.display_name if entry.usable else f"⚠ {entry.path.name}"
            item = QTreeWidgetItem([name, format_bytes(entry.size), entry.source, str(entry.path)])
            item.setData(0, Qt.UserRole, entry)
            item.setToolTip(0, str(entry.path) if entry.usable else entry.problem)
            item.setTextAlignment(1, Qt.AlignRight | Qt.AlignVCenter)
            self.tree.addTopLevelItem(item)
            if current_path == entry.path:
                self.tree.setCurrentItem(item)
        for column in (1, 2):
            self.tree.resizeColumnToContents(column)
        self._show_current()

    def names(self) -> list[str]:
        return [self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())]

    def select(self, path: str) -> None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if str(_path_of(item.data(0, Qt.UserRole))) == path:
                self.tree.setCurrentItem(item)

    def current_entry(self) -> LibraryEntry | InstalledVoice | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.UserRole) if item is not None else None

    def _emit_current(self, signal) -> None:
        entry = self.current_entry()
        if entry is not None:
            signal.emit(entry)

    def _show_current(self) -> None:
        entry = self.current_entry()
        for button in (self.reveal_button, self.delete_button):
            button.setEnabled(entry is not None)
        if isinstance(entry, InstalledVoice):
            self.use_button.setEnabled(False)  # a voice reads replies aloud: chosen in Voice ▸ Reading voice
            self.delete_button.setEnabled(entry.source != "default voice")
            if self.load_settings is not None:
                self.load_settings.show_model("", None, "")
            self.details.setHtml(_voice_html(entry))
            return
        self.use_button.setEnabled(entry is not None and entry.usable)
        if self.load_settings is not None:
            usable = entry is not None and entry.usable
            self.load_settings.show_model(str(entry.path) if usable else "", entry.info if usable else None,
                                          entry.display_name if usable else "")
        if entry is None:
            self.details.setHtml("<p>Choose a model to see what its GGUF header says.</p>")
            return
        self.details.setHtml(self._details_html(entry))

    def _details_html(self, entry: LibraryEntry) -> str:
        rows = [("File", str(entry.path)), ("Where", entry.source), ("Size", format_bytes(entry.size))]
        if len(entry.files) > 1:
            rows.append(("Parts", ", ".join(p.name for p in entry.files)))
        if not entry.usable:
            rows.append(("Problem", entry.problem))
        else:
            info = entry.info
            rows += [("Name", info.name), ("Architecture", info.architecture),
                     ("Parameters", info.parameter_label), ("Quantization", info.quantization),
                     ("GGUF version", str(info.version)),
                     ("Chat template", "yes" if info.has_chat_template else "no (a default will be used)")]
            for key in DETAIL_KEYS:
                value = info.metadata.get(f"{info.architecture}.{key}")
                if value is not None and not isinstance(value, ArrayInfo):
                    rows.append((key.replace("_", " ").replace(".", " "), f"{value:,}" if isinstance(value, int)
                                 else str(value)))
            if self._describe_fit is not None:
                rows.append(("Memory", self._describe_fit(info)))
        body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<table cellspacing=4>{body}</table>"


def _path_of(item) -> object:
    return item.model if isinstance(item, InstalledVoice) else item.path


def _voice_html(voice: InstalledVoice) -> str:
    rows = [("Voice", voice.key), ("Where", voice.source), ("Size", format_bytes(voice.size)),
            ("Files", f"{voice.model}\n{voice.config}")]
    if not voice.usable:
        rows.append(("Problem", voice.problem))
    else:
        rows += [("Language", f"{voice.language} ({voice.language_code})"), ("Quality", voice.quality),
                 ("Sample rate", f"{voice.sample_rate:,} Hz"),
                 ("Speakers", ", ".join(voice.speakers) if voice.speakers else str(voice.speaker_count))]
    body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v).replace(chr(10), '<br>')}</td></tr>"
                   for k, v in rows)
    return f"<table cellspacing=4>{body}</table>"

"""Conversations as files: export one as Markdown or Hearth's JSON, import Hearth's JSON or the
OpenAI messages format.

The formats live in ``core.conversation_file``; this reads and writes the files, puts an import
into the store, and says in words what went wrong (an unreadable file, a file that is not a
conversation, a disk that refuses the write) instead of raising into the window.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core import conversation_file
from app.core.errors import HearthError
from app.core.store import Store
from app.gui.save_dialog import FileType

# What an export can be saved as: the path's extension says which (``export``).
EXPORT_TYPES = [FileType("Markdown", (".md", ".markdown"), "md"), FileType("Hearth JSON", (".json",), "json")]


class ConversationFiles(QObject):
    error_raised = Signal(str)
    notice_raised = Signal(str)
    imported = Signal(int)  # the id of the conversation an import made

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store

    def export(self, conversation_id: int, path: str) -> bool:
        """The conversation's branch on screen as Markdown (.md), or all its branches as JSON (anything else)."""
        try:
            conversation = self.store.conversation(conversation_id)
            branch = self.store.messages(conversation_id)
            if path.lower().endswith((".md", ".markdown")):
                text = conversation_file.to_markdown(conversation, branch)
            else:
                text = conversation_file.to_json(conversation, self.store.all_messages(conversation_id), branch)
        except HearthError as error:
            self.error_raised.emit(error.message)
            return False
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as error:
            self.error_raised.emit(f"Hearth could not write {Path(path).name}: {error.strerror or error}.")
            return False
        self.notice_raised.emit(f"Saved “{conversation.title}” to {path}.")
        return True

    def import_file(self, path: str) -> bool:
        """A conversation file into the store, as a new conversation (``imported`` says which)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
            data = conversation_file.parse(text, fallback_title=Path(path).stem)
            conversation = self.store.import_conversation(data.title, data.system_prompt, data.settings,
                                                          data.messages)
        except OSError as error:
            self.error_raised.emit(f"Hearth could not read {Path(path).name}: {error.strerror or error}.")
            return False
        except UnicodeDecodeError:
            self.error_raised.emit(f"{Path(path).name} is not a text file.")
            return False
        except HearthError as error:
            self.error_raised.emit(error.message)
            return False
        self.imported.emit(conversation.id)
        return True

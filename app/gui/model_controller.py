"""The loaded model: which one, with which load options, in what state, and whether it fits.

One owner for the model's life, apart from any conversation: the chat, the model
picker, the status bar (and later the API server) ask it what is loaded and whether
it is ready, and listen to its signals. Options are resolved here (the defaults,
then what the user chose for the model), compared whole with what the engine
loaded to decide on a reload, and read by the fit estimate, so the numbers the
user sees describe the load the engine will do.

A model on a remote server is chosen the same way, by its key (``ModelRef.key``):
it has no GGUF header, no fit estimate, no GPU offload and no load options (the
server owns all that); "loading" it is the server confirming it has the model.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from app.core import fit
from app.core.errors import HearthError
from app.core.gguf_info import GGUFInfo, read_gguf_info
from app.backend.model_ref import ModelRef, is_remote_key
from app.core.load_options import GPU_ALL, GPU_AUTO, LABELS, LoadOptions
from app.gui.engine_bridge import EngineBridge
from app.settings import Settings

log = logging.getLogger("hearth.models")

# What the status bar says about the model.
NO_MODEL, LOADING, READY, GENERATING, FAILED, STOPPED_ENGINE, IDLE_UNLOADED = (
    "no model", "loading", "ready", "generating", "failed", "engine stopped", "unloaded (idle)")
CANCELLED = "load cancelled"  # the user stopped the load: no model is loaded until asked again
LIVE = (LOADING, READY, GENERATING)


class ModelController(QObject):
    state_changed = Signal(str, str)  # state, model name
    loaded = Signal(dict)  # what the engine reports it loaded (options read back from llama.cpp)
    load_starting = Signal(str)  # a (re)load is about to be asked of the engine: the model's path
    load_failed = Signal(str)  # the chosen model did not load: why, for the user
    load_blocked = Signal(str, str, str)  # path, name, why: the model would not fit in memory
    options_changed = Signal(str)  # a model's load options changed (its path)
    notice_raised = Signal(str)
    error_raised = Signal(str)
    load_progress = Signal(float)  # the share of the chosen model's weights read so far (0..1)
    load_cancelled = Signal(str)  # the load was cancelled: what to tell the user

    def __init__(self, engine: EngineBridge, settings: Settings, parent: QObject | None = None,
                 memory_probe=fit.system_memory, gpu_probe=lambda: None, idle_minute_seconds: float = 60.0) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self.memory_probe = memory_probe
        self.gpu_probe = gpu_probe  # GpuMemory of the engine's GPU, or None
        self.path = ""
        self.name = ""
        self.state = NO_MODEL
        self.info: GGUFInfo | None = None  # the chosen model's header, when known
        self.report: dict = {}  # the engine's account of the model it loaded
        self.sampling: dict = {}  # sampling the loaded model's GGUF metadata recommends
        self._requested: tuple[str, LoadOptions] | None = None  # the last load asked of the engine
        self._busy = False  # a reply (or another request) is being generated
        # "Unload after N idle minutes": restarted by every request; tests shorten the minute.
        self.idle_minute_seconds = idle_minute_seconds
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.timeout.connect(self._unload_idle)
        self._load_id = 0  # the engine's request id of the last load asked for
        self._gpu_layers: int | None = None  # what Auto offload came to for the last load
        self._cancelling = False  # cancel_load() was asked and the engine has not answered yet
        engine.model_loaded.connect(self._on_loaded)
        engine.load_progressed.connect(self._on_load_progress)
        engine.load_cancelled.connect(self._on_load_cancelled)
        engine.load_failed.connect(self._on_load_failed)
        engine.crashed.connect(self._on_crashed)
        engine.model_switched.connect(self._on_switched)
        # Every request the engine answers (a reply, a title, a count) starts the idle minutes again.
        for activity in (engine.reply_started, engine.reply_finished, engine.tokens_counted, engine.request_failed):
            activity.connect(self._restart_idle)

    # -- what others ask ---------------------------------------------------------------
    @property
    def n_ctx(self) -> int:
        """The context window the loaded model really has (0 until it has loaded)."""
        return int(self.report.get("n_ctx") or 0) if self.state in (READY, GENERATING) else 0

    @property
    def remote(self) -> bool:
        """The chosen model is on a remote server (its load settings, template and fit do not apply)."""
        return is_remote_key(self.path)

    @property
    def ready(self) -> bool:
        return self.state in (READY, GENERATING)

    def options_for(self, path: str) -> LoadOptions:
        return self.settings.load_options_for(path)

    @property
    def options(self) -> LoadOptions:
        """The options the chosen model loads with."""
        return self.options_for(self.path)

    def fit_of(self, info: GGUFInfo, options: LoadOptions | None = None) -> fit.Fit:
        """Whether a model fits with ``options`` (its own, by default), from its metadata."""
        options = options or self.options_for(str(info.path))
        gpu = self.gpu_probe()
        return fit.judge_options(info, options, *self.memory_probe(), gpu=gpu)

    # -- choosing and loading ----------------------------------------------------------
    def choose(self, path: str, name: str = "", info: GGUFInfo | None = None, force: bool = False) -> bool:
        """Load a model. With its header at hand, refuse one that would not fit unless ``force``.
        True when the model is (being) loaded."""
        if is_remote_key(path):
            return self._choose_remote(path, name)
        options = self.options_for(path)
        if path == self.path and self.state in LIVE and not options.needs_reload(self._requested_options(path)):
            return True  # already there, with these options
        why = options.problem()
        if why:
            self.error_raised.emit(why)
            return False
        if info is not None and not force:
            verdict = self.fit_of(info, options)
            if verdict.verdict == fit.WONT_FIT:
                self.load_blocked.emit(path, name, verdict.message)
                return False
        self.path = path
        self.name = name or Path(path).name
        self.info = info
        self.settings.last_model = path
        self.load()
        return True

    def _choose_remote(self, key: str, name: str) -> bool:
        if ModelRef.from_key(key) is None:
            self.error_raised.emit("Hearth cannot tell which server this model is on; choose it again.")
            return False
        if key == self.path and self.state in LIVE:
            return True
        self.path, self.name, self.info = key, name or ModelRef.from_key(key).model_id, None
        self.settings.last_model = key
        self.load()
        return True

    def _requested_options(self, path: str) -> LoadOptions | None:
        if self._requested is None or self._requested[0] != path:
            return None
        return self._requested[1]

    def load(self) -> None:
        """Ask the engine for the chosen model with its options as they are now (a remote model: ask its
        server to confirm it has it)."""
        if self.remote:
            self.load_starting.emit(self.path)
            self.report, self._requested, self._cancelling, self._gpu_layers = {}, None, False, None
            self._set_state(LOADING)
            self._load_id = self.engine.select(self.ref())
            return
        options = self.options
        self.load_starting.emit(self.path)  # a reply being written stops first
        self.report = {}
        self._requested = (self.path, options)
        self._cancelling = False
        self._set_state(LOADING)
        self._gpu_layers = self._auto_layers(options)
        self._load_id = self.engine.load(self.path, options, gpu_layers=self._gpu_layers)

    def ref(self) -> ModelRef | None:
        """The chosen model as requests name it, so that it answers them even if an API client asked the
        engine for another in between; None when no model is chosen."""
        if not self.path:
            return None
        if self.remote:
            return ModelRef.from_key(self.path)
        return ModelRef(self.path, self.options, self._gpu_layers)

    def cancel_load(self) -> bool:
        """Stop the load under way: llama.cpp aborts it and no model is loaded. False when none is loading."""
        if self.state != LOADING or self._cancelling:
            return False
        self._cancelling = True
        self.engine.cancel_load(self._load_id)
        return True

    def _auto_layers(self, options: LoadOptions) -> int | None:
        """What Auto offload comes to for the chosen model, where the engine has a GPU backend."""
        if options.n_gpu_layers != GPU_AUTO:
            return None
        gpu = self.gpu_probe()
        if gpu is None:
            # Metal shares the system's RAM, which the fit's RAM check covers: every layer goes on it.
            return GPU_ALL if getattr(self.engine.client, "backend", "CPU") == "Metal" else 0
        info = self.info
        if info is None:
            try:
                info = self.info = read_gguf_info(self.path)
            except (HearthError, OSError) as error:
                log.info("no header for Auto offload of %s: %s", self.path, error)
                return 0
        return fit.auto_gpu_layers(info, options, gpu)

    def set_options(self, path: str, options: LoadOptions) -> bool:
        """Keep ``options`` for the model at ``path``; the loaded model reloads with them, with a notice.
        Refused (False, with a message) when llama.cpp could not run them."""
        why = options.problem()
        if why:
            self.error_raised.emit(why)
            return False
        before = self.options_for(path)
        self.settings.set_load_options_for(path, options)
        self.options_changed.emit(path)
        after = self.options_for(path)
        if path == self.path and self.state in (*LIVE, FAILED) and after.needs_reload(self._requested_options(path)):
            changed = ", ".join(LABELS[name] for name in after.changed_names(before)) or "load settings"
            self.notice_raised.emit(f"Reloading {self.name} with the new {changed}.")
            self.load()
        self._restart_idle()
        return True

    def reset_options(self, path: str) -> None:
        """The model's load options back to the defaults."""
        self.set_options(path, self.settings.default_load_options)

    def set_default_options(self, options: LoadOptions) -> bool:
        """New defaults for every model that did not choose otherwise; the loaded model follows them."""
        why = options.problem()
        if why:
            self.error_raised.emit(why)
            return False
        self.settings.set_default_load_options(options)  # a model's own choices are kept apart and stay
        self.options_changed.emit("")
        if self.path and self.state in LIVE and self.options.needs_reload(self._requested_options(self.path)):
            self.notice_raised.emit(f"Reloading {self.name} with the new default load settings.")
            self.load()
        self._restart_idle()
        return True

    def forget(self) -> None:
        """The chosen model left the library (deleted, or taken off the list): unload it and name none."""
        self.engine.unload()
        self.path = self.name = self.settings.last_model = ""
        self.info, self.report, self.sampling, self._requested = None, {}, {}, None
        self._idle_timer.stop()
        self._set_state(NO_MODEL)

    # -- what a reply does to the state ------------------------------------------------
    def begin_generating(self) -> None:
        """A reply is on its way: a failed model is tried again, a stopped engine restarts with it."""
        self._busy = True
        self._idle_timer.stop()
        if self.state in (FAILED, IDLE_UNLOADED, CANCELLED):
            self.load()  # no other model may answer in its name; an idle or cancelled model comes back
        elif self.state == STOPPED_ENGINE:
            self._set_state(LOADING)  # the client restarts the engine and replays the load first
        elif self.state == READY:
            self._set_state(GENERATING)

    def end_generating(self) -> None:
        self._busy = False
        if self.state == GENERATING:
            self._set_state(READY)
        self._restart_idle()

    def _restart_idle(self, *_event) -> None:
        """Count the idle minutes again from now, when the model's options ask to unload after some."""
        minutes = self.options.idle_unload_minutes if self.path and not self.remote else 0
        if minutes > 0 and self.state == READY and not self._busy:
            self._idle_timer.start(int(minutes * self.idle_minute_seconds * 1000))
        else:
            self._idle_timer.stop()

    def _unload_idle(self) -> None:
        """No request for the chosen number of minutes: give the memory back; the next message reloads."""
        if self.state != READY or self._busy:
            return
        log.info("unloading %s after %d idle minutes", self.path, self.options.idle_unload_minutes)
        self.engine.unload()
        self.report, self._requested = {}, None
        self._set_state(IDLE_UNLOADED)

    # -- the engine's answers ----------------------------------------------------------
    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state, self.name)

    def _on_loaded(self, request_id: int, model: dict) -> None:
        if model.get("path") != self.path:
            return  # an older load finished after the user picked another model
        if self._cancelling and request_id == self._load_id:
            self.engine.unload()  # it finished before the cancel reached it: the user still wants none
            self._on_load_cancelled(request_id, self.path)
            return
        self._cancelling = False
        self.report = dict(model)
        self.sampling = dict(model.get("sampling") or {})
        self._set_state(GENERATING if self._busy else READY)
        self.loaded.emit(self.report)
        self._restart_idle()

    def _on_switched(self, model: dict) -> None:
        """An API client asked the engine for another model and it is loaded now: the window shares the one
        model the engine holds, so it follows, and says so."""
        path = str(model.get("path", ""))
        if not path or path == self.path or self.remote:
            return  # a window chatting through a server keeps its server; the API's model stays the API's
        self.path, self.name, self.info = path, str(model.get("name") or Path(path).name), None
        options = LoadOptions.from_dict(model.get("options"))
        self._requested = (path, options)
        self._gpu_layers = None
        self.report = dict(model)
        self.sampling = dict(model.get("sampling") or {})
        self._set_state(GENERATING if self._busy else READY)
        self.loaded.emit(self.report)
        self.notice_raised.emit(f"An app using Hearth's API asked for {self.name}; it is loaded now.")

    def _on_load_progress(self, request_id: int, fraction: float) -> None:
        if request_id == self._load_id and self.state == LOADING:
            self.load_progress.emit(fraction)

    def _on_load_cancelled(self, request_id: int, _path: str) -> None:
        if request_id != self._load_id or not self._cancelling:
            return  # an older load, replaced by a newer one
        self._cancelling = False
        self.report, self._requested = {}, None
        self._set_state(CANCELLED)
        self.load_cancelled.emit(f"Loading {self.name} was cancelled; no model is loaded. "
                                 "Choose it again, or send a message, to load it.")

    def _on_load_failed(self, path: str, message: str, detail: str) -> None:
        """A load failed: the one the user asked for, or the reload after an engine restart."""
        log.warning("loading %s failed: %s %s", path, message, detail)
        if path != self.path:
            return  # an older choice, since replaced by another model
        self._cancelling = False
        self._set_state(FAILED)
        self.load_failed.emit(message)

    def _on_crashed(self, _message: str, _request_ids: list) -> None:
        self._cancelling = False
        # Not replayed: an idle or cancelled model stays unloaded; a server's model did not crash.
        if self.path and not self.remote and self.state not in (IDLE_UNLOADED, CANCELLED):
            self._set_state(STOPPED_ENGINE)

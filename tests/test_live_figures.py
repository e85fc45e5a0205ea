"""Live figures while a reply streams, in the real window with the real engine: tokens per second and
the context used move before the reply ends; the engine's memory is its real resident set, polled only
while a model is loaded."""
from __future__ import annotations

import psutil

from tests.test_main_window import LONG_ASK, type_and_enter, wait_ready


def test_speed_and_context_move_while_the_reply_streams(qtbot, make_hearth):
    hearth = make_hearth()
    hearth.settings.max_tokens = 400
    window, chat = hearth.window, hearth.chat
    window.figures.interval = 0  # every piece: the test must not depend on how fast the model writes
    wait_ready(qtbot, hearth)
    while chat.titling:
        qtbot.wait(50)
    speeds, contexts, prompt = [], [], []
    window.figures.speed_changed.connect(lambda rate: speeds.append((rate, chat.busy, window.status_speed.text())))
    window.figures.context_changed.connect(lambda used, size: contexts.append((used, size, chat.busy)))
    hearth.engine.reply_started.connect(lambda _id, tokens, _notice: prompt.append(tokens))
    type_and_enter(qtbot, hearth, LONG_ASK)
    qtbot.waitUntil(lambda: len(speeds) >= 3 and len(contexts) >= 3, timeout=120_000)
    shown = window.status_speed.text()
    finals = []  # llama.cpp's own figure for the reply, in the engine's answer to the stop
    hearth.engine.reply_finished.connect(lambda _id, _reason, stats: finals.append(stats["tokens_per_second"]))
    chat.stop()
    qtbot.waitUntil(lambda: bool(finals), timeout=30_000)

    assert all(busy for _rate, busy, _text in speeds)  # figures while the reply was being written
    assert all(rate > 0 for rate, _busy, _text in speeds)
    # The status bar shows each figure as it comes (the window's slot ran before the one recording).
    assert all(text == f"{rate:.1f} tok/s" for rate, _busy, text in speeds) and shown == speeds[-1][2]
    assert 0.25 < speeds[-1][0] / finals[-1] < 4  # the running rate agrees with llama.cpp's own figure
    used = [value for value, _size, busy in contexts if busy]
    assert used == sorted(used) and used[-1] > prompt[0]  # prompt tokens plus those written so far
    assert all(size == hearth.models.n_ctx for _used, size, _busy in contexts)
    assert window.context_gauge.value() >= used[-1]


def test_engine_memory_is_polled_only_while_a_model_is_loaded(qtbot, make_hearth):
    hearth = make_hearth()
    window = hearth.window
    wait_ready(qtbot, hearth)
    figures = window.figures
    assert figures.memory_timer.isActive()
    readings = []
    figures.memory_changed.connect(readings.append)
    figures.poll_memory()
    real = psutil.Process(hearth.engine.pid).memory_info().rss
    assert readings and abs(readings[-1] - real) < 0.2 * real
    assert readings[-1] > 50 << 20  # llama.cpp and the model's weights, at least
    assert window.status_memory.text().startswith("Engine ") and window.status_memory.text().endswith(" MB")
    hearth.chat.forget_model()  # the model leaves: nothing to watch
    qtbot.waitUntil(lambda: not figures.memory_timer.isActive(), timeout=5_000)
    assert window.status_memory.text() == ""

"""How a reply's task lists and block quotes are drawn in Qt's rich text.

A task (``- [x] done``, found by mdit-py-plugins' tasklists) becomes ``<img src="task:done">``: Qt's rich
text has no form controls, so the message widget draws the box with the app's style. A list of tasks
only shows no bullets, as GitHub shows one. A quote is set in by QUOTE_INDENT in a muted colour; the
message widget draws its bar in that strip (Qt's rich text has no borders on paragraphs).
"""
from __future__ import annotations

import html


def install(parser) -> None:
    from mdit_py_plugins.tasklists import tasklists_plugin

    parser.use(tasklists_plugin)
    parser.core.ruler.after("github-tasklists", "hearth_task_lists", _plain_task_lists)
    parser.add_render_rule("html_inline", _html_inline)
    parser.add_render_rule("blockquote_open", _quote_open)


TASK_SCHEME = "task"  # <img src="task:done">, drawn by the message widget as a check box
TASK_DONE, TASK_OPEN = f"{TASK_SCHEME}:done", f"{TASK_SCHEME}:open"


def _html_inline(_renderer, tokens, index, _options, _env) -> str:
    """Raw HTML is off, so the only inline HTML is the task-list plugin's check box: shown as an image
    (Qt's rich text has no form controls); anything else is shown as text."""
    content = tokens[index].content
    if content.startswith('<input class="task-list-item-checkbox"'):
        done = 'checked="checked"' in content
        return f'<img src="{TASK_DONE if done else TASK_OPEN}" style="vertical-align:middle" />'
    return html.escape(content)


def _plain_task_lists(state) -> None:
    """A list whose every item is a task shows its check boxes without bullets, as GitHub does."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type == "bullet_list_open" and "contains-task-list" in str(token.attrGet("class") or ""):
            items = [item for item in tokens[index + 1:_closing(tokens, index)]
                     if item.type == "list_item_open" and item.level == token.level + 1]
            if all("task-list-item" in str(item.attrGet("class") or "") for item in items):
                token.attrSet("style", "list-style-type:none")


def _closing(tokens, index: int) -> int:
    level = tokens[index].level
    for end in range(index + 1, len(tokens)):
        if tokens[end].level == level and tokens[end].nesting == -1:
            return end
    return len(tokens)


QUOTE_INDENT = 16  # pixels a quote is set in (more than CODE_INDENT: a margin this wide marks a quote)
QUOTE_BAR = 3  # the bar's width


def quote_colours(dark: bool) -> tuple[str, str]:
    """A quote's text (muted, still 4.5:1 and more on the reply's background) and its bar."""
    return ("#a0a6ad", "#5f646b") if dark else ("#57606a", "#d0d7de")


def _quote_open(_renderer, _tokens, _index, _options, env) -> str:
    text, _bar = quote_colours(env["dark"])
    return f'<blockquote style="margin-left:{QUOTE_INDENT}px; margin-right:0px; color:{text}">\n'

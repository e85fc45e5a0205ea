"""How many tokens a conversation takes on a remote server, for the context gauge.

By the server's own tokenizer where it has a route for it, else an estimate
that the gauge shows with "≈". The routes are tried once per chosen model, in
order, and the first that answers is kept:

* llama.cpp's llama-server renders the chat with the model's template
  (``POST /apply-template``) and tokenizes the result (``POST /tokenize``): exact;
* llama-cpp-python's server tokenizes text (``POST /extras/tokenize/count``) but
  cannot render the template: the roles and words are counted by the model's
  tokenizer and only the template's markers are added by guess, a few tokens at
  most, so it is not marked "≈";
* anything else (vLLM, Ollama, OpenAI, another Hearth): the estimate.

A route that is simply not there (404, 405, 501, or an answer of another shape)
is not asked again; one that failed for another reason (a timeout) is tried
again next time, with the estimate meanwhile.
"""
from __future__ import annotations

import logging
from typing import Callable

from app.backend.openai_shapes import content_text, estimate
from app.backend.remote_failures import RemoteError

log = logging.getLogger("hearth.remote")

Ask = Callable[[str, dict, str], object]  # (route under the server's root, JSON body, what) -> decoded answer
ABSENT = (404, 405, 501)


class NotThisRoute(Exception):
    pass


class TokenCounter:
    def __init__(self, ask: Ask, model: str, server: str) -> None:
        self.ask = ask
        self.model = model
        self.server = server
        self._routes = [self._llama_server, self._llama_cpp_python]
        self._kept: Callable[[list[dict]], tuple[int, bool]] | None = None

    def count(self, messages: list[dict]) -> tuple[int, bool]:
        """(tokens, estimated)."""
        if self._kept is not None:
            try:
                return self._kept(messages)
            except (RemoteError, NotThisRoute) as error:
                log.info("%s: token count failed (%s); estimating", self.server, getattr(error, "detail", error))
                return estimate(messages)
        for route in list(self._routes):
            try:
                answer = route(messages)
            except NotThisRoute as error:
                self._routes.remove(route)
                log.info("%s: no token count at %s (%s)", self.server, route.__name__, error)
                continue
            except RemoteError as error:
                if error.status in ABSENT or error.detail.startswith("not data"):  # a web page, say
                    self._routes.remove(route)
                    continue
                log.info("%s: token count failed (%s); estimating", self.server, error.detail)
                return estimate(messages)
            self._kept = route
            return answer
        self._kept = estimate
        return estimate(messages)

    def _llama_server(self, messages: list[dict]) -> tuple[int, bool]:
        rendered = self.ask("/apply-template", {"messages": messages}, "the rendered prompt")
        prompt = rendered.get("prompt") if isinstance(rendered, dict) else None
        if not isinstance(prompt, str):
            raise NotThisRoute("no prompt from /apply-template")
        answer = self.ask("/tokenize", {"content": prompt, "add_special": True}, "the token count")
        tokens = answer.get("tokens") if isinstance(answer, dict) else None
        if not isinstance(tokens, list):
            raise NotThisRoute("no tokens from /tokenize")
        return len(tokens), False

    def _llama_cpp_python(self, messages: list[dict]) -> tuple[int, bool]:
        text = "\n".join(f"{m.get('role', '')}\n{content_text(m)}" for m in messages)
        answer = self.ask("/extras/tokenize/count", {"input": text, "model": self.model}, "the token count")
        count = answer.get("count") if isinstance(answer, dict) else None
        if not isinstance(count, int):
            raise NotThisRoute("no count from /extras/tokenize/count")
        return count + 2 * len(messages) + 3, False  # ChatML-like markers: two a message, three to open the reply

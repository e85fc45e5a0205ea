"""The OpenAI-compatible API server: for the user's other programs, in the app or under ``hearth serve``.

Importing the package is light (the settings read ``DEFAULT_PORT``); the server itself is in ``server``.
"""

DEFAULT_PORT = 8137  # not 1234 (LM Studio), 1337 (Jan), 8080 (llama-server) or 11434 (Ollama)

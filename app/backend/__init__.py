"""Backends: what answers a chat, behind one interface (the local engine process, a remote server)."""

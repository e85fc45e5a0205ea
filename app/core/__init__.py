"""Hearth's rules, in plain Python. Nothing here may import Qt (a test checks)."""

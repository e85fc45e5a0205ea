"""The engine: native models live in a separate process, behind a narrow client."""

"""The OpenAI-compatible API server: for the user's other programs, in the app or under hearth serve."""

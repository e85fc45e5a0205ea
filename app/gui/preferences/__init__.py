"""Edit ▸ Preferences: one window, one page per subject, each page in its own module."""

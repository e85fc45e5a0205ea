"""Widgets and thin Qt glue. Widgets never open files, sockets or models."""

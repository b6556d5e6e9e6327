"""todo-chatbot backend: accounts and per-user numbered tasks behind a JSON API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("todo-backend")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

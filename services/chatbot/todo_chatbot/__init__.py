"""todo-chatbot's chatbot service: plain English in, task operations on the backend out."""

__version__ = "0.1.0"

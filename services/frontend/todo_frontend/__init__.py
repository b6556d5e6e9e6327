"""todo-chatbot web frontend: server-rendered pages (FastAPI + Jinja2 + htmx) and a same-origin /api proxy."""

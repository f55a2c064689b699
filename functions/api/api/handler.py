"""Lambda entry point (Handler: api.handler.handler): built once per container."""

from .lambda_adapter import build_handler
from .main import create_app

app = create_app()
handler = build_handler(app)

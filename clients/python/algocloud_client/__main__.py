"""`python -m algocloud_client …` is the `algocloud` command."""

from .cli import app

app(prog_name="algocloud")

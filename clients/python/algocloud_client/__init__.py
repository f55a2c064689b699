"""Python client of the algocloud scenario API: `pip install ./clients/python` (`[cli]` for the CLI).

    from algocloud_client import Client

    api = Client("http://127.0.0.1:8051/api/v1")          # api_key="..." when keys are required
    sid = api.sessions().default
    scenario = api.create_scenario(sid, "my-run", "Master data", "Slow", {"duration": 5})
    api.run(sid, scenario.id)
    done = api.wait(sid, scenario.id, progress=True)      # a progress bar until complete or failed

`AsyncClient` has the same methods for asyncio. Answers are the API's own models (`models`).
"""

from . import models
from ._flows import ApiError, ScenarioPage
from .async_client import AsyncClient
from .client import Client

__all__ = ["ApiError", "AsyncClient", "Client", "ScenarioPage", "models"]

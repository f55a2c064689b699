"""Python client of the algocloud scenario API: `pip install ./clients/python`.

    from algocloud_client import Client

    api = Client("http://127.0.0.1:8051/api/v1")          # api_key="..." when keys are required
    sid = api.sessions()["default"]
    scenario = api.create_scenario(sid, "my-run", "Master data", "Slow", {"duration": 5})
    api.run(sid, scenario["id"])
    done = api.wait(sid, scenario["id"])                   # polls …/status until complete or failed
"""

from .client import ApiError, Client

__all__ = ["ApiError", "Client"]

from typing import Any

# The `responses=` of a route: status code -> OpenAPI response object.
Responses = dict[int | str, dict[str, Any]]

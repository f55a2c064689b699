"""Every error a domain operation can raise, in one place.

The HTTP layer maps these to status codes; the worker maps them to a
scenario's `failed` state. Messages are written for the end user.
"""


class DomainError(Exception):
    """Base class: a request or a run was refused for a reason the user can fix."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidRequest(DomainError):
    """A request that cannot be served as asked (400), e.g. a comparison of one scenario."""


class ParameterError(DomainError):
    """A parameter value (algorithm or data parameter) is invalid."""

    def __init__(self, parameter: str | None, message: str):
        super().__init__(f"parameter '{parameter}': {message}" if parameter else message)
        self.parameter = parameter


class NotFound(DomainError):
    """A named thing (algorithm, KPI, dataset, scenario, session) does not exist."""


class Conflict(DomainError):
    """The request clashes with current state (duplicate name, wrong status, in use)."""


class InvalidTransition(Conflict):
    """A scenario status change that the state machine does not allow."""


class InvalidName(DomainError):
    """A session name, scenario tag or dataset key that breaks the naming rule (domain.names)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field  # where the name was given: "display_name", "metadata.name", ...


class TierUnavailable(DomainError):
    """A tier a scenario asks for that this deployment does not have (422)."""


class DataFormatError(DomainError):
    """A serialised data source does not have the expected shape."""


class RunFailed(DomainError):
    """A run ended badly for a reason inside the algorithm, its result or a KPI.

    The message becomes the scenario's `error` text. Infrastructure errors are
    never wrapped in this: they must propagate so the queue retries the run.
    """


class OutOfTime(Exception):
    """Raised from a progress callback when the invocation is about to reach its time limit:
    the run is handed to the container tier (or fails plainly when there is none).

    Not a DomainError: the algorithm did nothing wrong.
    """


class RunCancelled(Exception):
    """Raised from a progress callback to stop a run (reset, delete, shutdown).

    Not a DomainError: a cancelled run is not a failed run.
    """


class ServiceUnavailable(Exception):
    """A dependency (the queue) refused the request; the client may retry (503)."""

"""What a deployment offers: its title, algorithms, KPIs, schemas, ETL and data."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .algorithms import Algorithm
from .datasource import DataSource
from .errors import NotFound, ParameterError
from .etl import Etl
from .kpis import Kpi
from .parameters import ParameterSet
from .scenario import Scenario
from .schema import Schema


@dataclass(frozen=True, eq=False)  # identity hash: one object per loaded application
class AppConfig:
    """One application. `seed_datasets` returns the datasets a new default session starts with."""

    title: str
    algorithms: Sequence[type[Algorithm]]
    kpis: Sequence[Kpi]
    schemas: Sequence[Schema] = ()
    datasource_cls: type[DataSource] = DataSource
    etl: Etl | None = None
    seed_datasets: Callable[[], Sequence[DataSource]] = field(default=lambda: ())

    def __post_init__(self) -> None:
        for kind, names in (
            ("algorithm", [a.name for a in self.algorithms]),
            ("KPI", [k.name for k in self.kpis]),
        ):
            if len(set(names)) != len(names):
                raise ValueError(f"two {kind}s share a name: {names}")
        if self.etl is None:
            object.__setattr__(self, "etl", Etl(self.schemas, self.datasource_cls))

    @property
    def algorithm_names(self) -> list[str]:
        return [a.name for a in self.algorithms]

    @property
    def kpi_names(self) -> list[str]:
        return [k.name for k in self.kpis]

    @property
    def data_parameters(self) -> ParameterSet:
        return self.datasource_cls.data_parameters

    def algorithm(self, name: str) -> type[Algorithm]:
        for algorithm in self.algorithms:
            if algorithm.name == name:
                return algorithm
        raise NotFound(f"algorithm '{name}' is not registered (available: {self.algorithm_names})")

    def parameters_of(self, algorithm_name: str) -> ParameterSet | None:
        try:
            return self.algorithm(algorithm_name).parameters
        except NotFound:
            return None

    def new_scenario(
        self,
        tag: str,
        dataset_key: str,
        algo_name: str,
        algo_params: Mapping[str, Any] | None = None,
        data_params: Mapping[str, Any] | None = None,
    ) -> Scenario:
        """A validated, not yet stored scenario. NotFound / ParameterError otherwise."""
        algorithm = self.algorithm(algo_name)
        parameters = algorithm.parameters.validate(algo_params)
        try:
            data_parameters = self.data_parameters.validate(data_params)
        except ParameterError as exc:
            raise ParameterError(exc.parameter, f"data {exc.message}") from None
        return Scenario(
            tag=tag,
            input_data_id=dataset_key,
            algorithm=algo_name,
            parameters=parameters,
            data_parameters=data_parameters,
        )

"""The example application's configuration (the default ALGOCLOUD_APP)."""

from __future__ import annotations

from typing import cast

from ..domain.config import AppConfig
from ..domain.etl import UploadedFile
from ..domain.schema import Column, ColumnType, FileKind, Schema
from .algorithms import ALGORITHMS
from .generate import DATA_DIR, SEPARATOR
from .kpis import KPIS
from .warehouse import WarehouseData

MASTER_DATA_KEY = "Master data"

SCHEMAS = [
    Schema(
        name="sku_data",
        kind=FileKind.CSV,
        separator=SEPARATOR,
        columns=(
            Column("item_id", ColumnType.INTEGER, primary_key=True),
            Column("sku", ColumnType.STRING),
            Column("description", ColumnType.STRING, optional=True),
            Column("category", ColumnType.CATEGORY),
            Column("daily_picks", ColumnType.INTEGER),
            Column("volume", ColumnType.FLOAT),
            Column("weight", ColumnType.FLOAT),
            Column("current_slot", ColumnType.STRING, optional=True),
        ),
        description="one row per item (SKU)",
    ),
    Schema(
        name="warehouse_layout",
        kind=FileKind.CSV,
        separator=SEPARATOR,
        columns=(
            Column("slot_id", ColumnType.STRING, primary_key=True),
            Column("x", ColumnType.FLOAT),
            Column("y", ColumnType.FLOAT),
            Column("zone", ColumnType.CATEGORY),
        ),
        description="one row per storage slot; the dock is at (0, 0)",
    ),
]


def example_files() -> list[UploadedFile]:
    """The bundled CSV files, as if uploaded."""
    return [UploadedFile(path.name, path.read_bytes()) for path in sorted(DATA_DIR.glob("*.csv"))]


def master_data() -> WarehouseData:
    """The example dataset, read through the same ETL as an upload."""
    etl = build_config().etl
    assert etl is not None  # the example configures its ETL
    result = etl.run(example_files(), MASTER_DATA_KEY)
    if result.datasource is None:
        raise RuntimeError(f"the bundled example data does not pass ETL: {result.messages}")
    return cast(WarehouseData, result.datasource)  # the ETL builds the app's data-source class


def build_config() -> AppConfig:
    return AppConfig(
        title="Warehouse slotting (example)",
        algorithms=ALGORITHMS,
        kpis=KPIS,
        schemas=SCHEMAS,
        datasource_cls=WarehouseData,
        seed_datasets=lambda: [master_data()],
    )

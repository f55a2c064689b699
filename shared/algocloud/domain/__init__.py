"""The domain core: parameters, algorithms, KPIs, data sources, ETL, scenarios.

Nothing here imports boto3, and nothing imports pandas or openpyxl at module
import time: they load on first use of a data source or of ETL, which keeps the
API Lambda's cold start small.
"""

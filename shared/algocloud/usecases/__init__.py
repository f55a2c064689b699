"""The use cases of the HTTP contract, one module per aggregate, for one tenant.

    scope       TenantScope: the application, the ports and the tenant every use case works with
    sessions    tenant bootstrap, sessions (list, create, rename, copy, delete)
    scenarios   scenarios and their runs (create, list, get, run, cancel, reset, status, compare)
    datasets    datasets (store, read, page, download, derive, import, ETL)
    ingestion   uploads straight to storage, and the ingestion jobs that read them
    usage       a tenant's metered usage (for the tenant and for the operator)
    paging      cursor pages over a listing

They compose the domain with the ports (domain.ports), raise domain errors only and
return domain objects; `functions/api` presents them as HTTP responses. No boto3 here.
"""

"""API requests per tenant and day, from API Gateway's usage plan (GetUsage; moto has none, so the
answer is stubbed as the API reference shows it)."""

import boto3
from botocore.stub import Stubber

from algocloud.adapters.aws.apigateway import ApiGatewayKeys
from algocloud.domain.accounts import ApiKeyRecord, TenantRecord
from algocloud.usecases.usage import usage_report


class _Accounts:
    """Just enough of the Accounts port for a report."""

    def __init__(self, tenant: TenantRecord, keys: list[ApiKeyRecord]):
        self.tenant, self.keys = tenant, keys

    def usage(self, tenant_id, first_day, last_day):
        return []

    def keys_of(self, tenant_id):
        return self.keys


def test_request_counts_are_summed_over_the_tenants_keys_per_day():
    client = boto3.client("apigateway", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response(
        "get_usage",
        {
            "usagePlanId": "plan1",
            "startDate": "2026-11-01",
            "endDate": "2026-11-03",
            "items": {
                "keyA": [[5, 95], [0, 100], [7, 93]],
                "keyB": [[1, 99], [2, 98], [0, 100]],
                "other": [[50, 50], [50, 50], [50, 50]],
            },
        },
        {"usagePlanId": "plan1", "startDate": "2026-11-01", "endDate": "2026-11-03", "limit": 1000},
    )
    stubber.add_client_error("get_usage", "TooManyRequestsException")
    tenant = TenantRecord.new("acme")
    accounts = _Accounts(tenant, [ApiKeyRecord("keyA", tenant.id), ApiKeyRecord("keyB", tenant.id)])
    with stubber:
        keys = ApiGatewayKeys(lambda: client, "plan1")
        report = usage_report(accounts, keys, tenant.id, "2026-11-01", "2026-11-03")
        assert [(d.day, report.requests_on(d.day)) for d in report.days()] == [
            ("2026-11-01", 6),
            ("2026-11-02", 2),
            ("2026-11-03", 7),
        ]
        assert report.total_requests == 15 and sum(d.counters.get("runs_started", 0) for d in report.days()) == 0
        # API Gateway not answering: the counts are unknown (null), the rest of the report stands
        assert usage_report(accounts, keys, tenant.id, "2026-11-01", "2026-11-03").total_requests is None

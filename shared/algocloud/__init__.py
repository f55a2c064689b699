"""algocloud: the scenario-management product's shared code (a Lambda layer).

`domain` is pure Python (no boto3, pandas only where data is touched),
`adapters` put AWS behind the domain's interfaces, `example` is the bundled
warehouse application and `appconfig` chooses which application a deployment runs.
"""

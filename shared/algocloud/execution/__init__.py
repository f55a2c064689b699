"""Executing queued jobs: the worker's core, free of SQS and Lambda details.

- executor: Outcome, the JobHandler and Executor interfaces, and InProcessExecutor, which hands
  each message to the handler of its kind, in this process (the worker Lambda, the local
  worker processes; next, the container tier)
- registry: in_process_executor, the handlers of this deployment's message kinds
- runs: ScenarioRuns, a scenario run from queued to complete or failed
- ingest_jobs: IngestJobs, an ingestion too large for a request
"""

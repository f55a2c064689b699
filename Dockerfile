# The container tier's worker image (ECS Fargate, ARM64): the same worker core as the worker Lambda,
# run by `python -m worker.task` for one handed-over job. Built by `make image` (needs Docker; not
# built in CI). An application of your own: COPY its module and set ALGOCLOUD_APP.
FROM public.ecr.aws/docker/library/python:3.13-slim

WORKDIR /opt/algocloud
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY functions ./functions
COPY devstack ./devstack
# One distribution with the Lambda pins (pip install .); tests and caches stay out (.dockerignore).
RUN pip install --no-cache-dir . && python -m compileall -q /usr/local/lib/python3.13/site-packages/algocloud

USER 65534:65534
CMD ["python", "-m", "worker.task"]

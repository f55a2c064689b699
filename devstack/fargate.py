"""The container tier on the local AWS emulation: moto's ECS records `run_task`; this runs each task.

moto keeps ECS's records (clusters, task definitions, tasks and their overrides) but runs no
container. The emulation starts the task definition's command (`python -m worker.task`) as a
local process for every task moto holds as RUNNING, with the stack's Lambda environment plus the
task's overrides; when the process ends it stops the task in moto with the reason ECS gives, and
hands the reconciler the "ECS Task State Change" event EventBridge would deliver. A task stopped
through the API (`stop_task`) has its process terminated. Fargate's own start (30-60 s) is not
emulated: a task starts here in about a second.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devstack.lambda_limits import resident_mb
from devstack.template import parameter_default

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
CLUSTER = "algocloud-local"
TASK_FAMILY = "algocloud-worker"
CONTAINER = "worker"
POLL_SECONDS = 0.5
TASK_MEMORY_MB = int(parameter_default("ContainerMemory"))  # the task definition's memory, as deployed
TASK_CPU = int(parameter_default("ContainerCpu"))
OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"  # ECS's words


def create_container_tier(ec2, ecs) -> dict[str, str]:
    """The cluster, the task definition and an awsvpc network in moto: the worker's settings for them."""
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # awsvpc tasks need it
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="algocloud-tasks", Description="worker tasks", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(
        family=TASK_FAMILY,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        cpu=str(TASK_CPU),
        memory=str(TASK_MEMORY_MB),
        containerDefinitions=[
            {
                "name": CONTAINER,
                "image": "algocloud-worker:local",
                "essential": True,
                "cpu": TASK_CPU,
                "memory": TASK_MEMORY_MB,
                "command": ["python", "-m", "worker.task"],
            }
        ],
    )
    return {
        "CONTAINER_CLUSTER": CLUSTER,
        "CONTAINER_TASK_DEFINITION": TASK_FAMILY,
        "CONTAINER_SUBNETS": subnet,
        "CONTAINER_SECURITY_GROUPS": group,
    }


class FargateEmulation:
    def __init__(self, ecs, environment: dict[str, str], on_stopped: Callable[[dict[str, Any]], object]):
        self.ecs = ecs
        self.environment = environment
        self.on_stopped = on_stopped
        self.processes: dict[str, subprocess.Popen] = {}
        self.out_of_memory: set[str] = set()

    def run(self, stopping: threading.Event) -> None:
        while not stopping.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception:
                logger.exception("container tier emulation")

    def poll(self) -> None:
        running = set(self.ecs.list_tasks(cluster=CLUSTER, desiredStatus="RUNNING").get("taskArns", []))
        for arn in running - set(self.processes):
            self._start(arn)
        for arn, process in list(self.processes.items()):
            if process.poll() is not None:
                self._stopped(arn, process.returncode)
            elif arn not in running:  # stopped through the API: the container is killed
                process.terminate()
            elif resident_mb(process.pid) > TASK_MEMORY_MB:  # as the container's memory limit kills it
                self.out_of_memory.add(arn)
                process.kill()

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()

    def _start(self, arn: str) -> None:
        [task] = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"]
        environment = {**os.environ, **self.environment}
        for container in task.get("overrides", {}).get("containerOverrides", []):
            environment |= {v["name"]: v["value"] for v in container.get("environment", [])}
        paths = [str(ROOT / p) for p in ("shared", "functions/worker", ".")]
        environment["PYTHONPATH"] = os.pathsep.join(paths)
        self.processes[arn] = subprocess.Popen(
            [sys.executable, "-m", "worker.task"], env=environment, cwd=ROOT, start_new_session=True
        )
        print(f"container task started: {arn.rsplit('/', 1)[-1]} (pid {self.processes[arn].pid})", flush=True)

    def _stopped(self, arn: str, returncode: int) -> None:
        process = self.processes.pop(arn)
        exit_code = 128 - returncode if returncode < 0 else returncode  # killed by a signal: as Docker reports it
        reason = OUT_OF_MEMORY if arn in self.out_of_memory else "Essential container in task exited"
        [task] = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"]
        if task.get("desiredStatus") != "STOPPED":
            self.ecs.stop_task(cluster=CLUSTER, task=arn, reason=reason)
        else:
            reason = task.get("stoppedReason") or "Task stopped by user"
        print(f"container task stopped: {arn.rsplit('/', 1)[-1]} (pid {process.pid}, exit {exit_code})", flush=True)
        self.on_stopped(
            {
                "version": "0",
                "source": "aws.ecs",
                "detail-type": "ECS Task State Change",
                "detail": {
                    "taskArn": arn,
                    "clusterArn": task.get("clusterArn"),
                    "lastStatus": "STOPPED",
                    "desiredStatus": "STOPPED",
                    "stopCode": "EssentialContainerExited",
                    "stoppedReason": reason,
                    "containers": [{"name": CONTAINER, "lastStatus": "STOPPED", "exitCode": exit_code}],
                    "overrides": task.get("overrides", {}),
                },
            }
        )

"""The container tier on ECS Fargate: one task per handed-over job, started from the worker's image
with only the message's ids in its overrides (the TaskLauncher port)."""

from __future__ import annotations

from collections.abc import Sequence

from ...run_message import TASK_MESSAGE_VARIABLE, QueueMessage


class EcsTaskLauncher:
    def __init__(
        self,
        ecs_client,
        cluster: str,
        task_definition: str,
        subnets: Sequence[str],
        security_groups: Sequence[str],
        assign_public_ip: bool = False,
        container_name: str = "worker",
    ):
        self._ecs = ecs_client
        self.cluster, self.task_definition, self.container_name = cluster, task_definition, container_name
        self._network = {
            "awsvpcConfiguration": {
                "subnets": list(subnets),
                "securityGroups": list(security_groups),
                "assignPublicIp": "ENABLED" if assign_public_ip else "DISABLED",
            }
        }

    def launch(self, message: QueueMessage) -> str:
        response = self._ecs.run_task(
            cluster=self.cluster,
            taskDefinition=self.task_definition,
            launchType="FARGATE",
            count=1,
            networkConfiguration=self._network,
            startedBy="algocloud-worker",
            overrides={
                "containerOverrides": [
                    {
                        "name": self.container_name,
                        "environment": [{"name": TASK_MESSAGE_VARIABLE, "value": message.to_body()}],
                    }
                ]
            },
        )
        if not response.get("tasks"):
            reasons = "; ".join(
                f"{f.get('arn', '')} {f.get('reason', '')}".strip() for f in response.get("failures", [])
            )
            raise RuntimeError(f"ECS started no task: {reasons or 'no reason given'}")  # retried with the message
        return response["tasks"][0]["taskArn"]

    def stop(self, task_id: str, reason: str) -> None:
        self._ecs.stop_task(cluster=self.cluster, task=task_id, reason=reason[:255])

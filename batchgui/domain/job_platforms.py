"""Which platform (Fargate or EC2) each queue and job definition is for: AWS Batch never runs a
Fargate job definition on an EC2 queue, nor the other way round."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from batchgui.domain.batch import ComputeEnvironment, JobDefinition, JobQueue

FAMILY_LABEL = {"FARGATE": "Fargate", "EC2": "EC2"}


def platform_family(env: ComputeEnvironment) -> str:
    """FARGATE for FARGATE/FARGATE_SPOT, EC2 for EC2/SPOT and unmanaged environments."""
    return "FARGATE" if env.platform is not None and env.platform.is_fargate else "EC2"


def definition_family(definition: JobDefinition) -> str:
    """FARGATE or EC2, from the definition's platformCapabilities."""
    return "FARGATE" if definition.platform.upper() == "FARGATE" else "EC2"


@dataclass(frozen=True)
class Platforms:
    """Which platform (FARGATE or EC2) each queue and definition is for; absent = not known.

    A queue's platform is its compute environments'; a definition's its platformCapabilities.
    """

    queues: Mapping[str, str] = field(default_factory=dict)
    definitions: Mapping[str, str] = field(default_factory=dict)  # by name and by name:revision

    @classmethod
    def build(
        cls,
        queues: Sequence[JobQueue],
        environments: Sequence[ComputeEnvironment],
        definitions: Sequence[JobDefinition],
    ) -> Platforms:
        by_arn = {e.arn: e for e in environments}
        by_name = {e.name: e for e in environments}
        queue_families: dict[str, str] = {}
        for queue in queues:
            families = {
                platform_family(env)
                for order in queue.compute_environments
                if (env := by_arn.get(order.arn) or by_name.get(order.name)) is not None
            }
            if len(families) == 1:
                queue_families[queue.name] = families.pop()
        definition_families: dict[str, str] = {}
        # The newest revision speaks for the bare name (what SubmitJob runs for `name`).
        for definition in sorted(definitions, key=lambda d: d.revision):
            family = definition_family(definition)
            definition_families[definition.name_revision] = family
            if definition.status == "ACTIVE" or definition.name not in definition_families:
                definition_families[definition.name] = family
        return cls(queue_families, definition_families)

    def queue_family(self, queue: str) -> str:
        return self.queues.get(queue.strip().rsplit("/", 1)[-1], "")

    def definition_family(self, definition: str) -> str:
        name = definition.strip().rsplit("/", 1)[-1]
        return self.definitions.get(name) or self.definitions.get(name.split(":", 1)[0], "")

    def queues_for(self, family: str, among: Sequence[str]) -> list[str]:
        return [q for q in among if self.queue_family(q) == family]

    def problem(self, queue: str, definition: str, queues: Sequence[str] = ()) -> str:
        """Why this queue cannot run this definition, or "" when it can (or when it is not known)."""
        queue_family, definition_family = self.queue_family(queue), self.definition_family(definition)
        if not queue_family or not definition_family or queue_family == definition_family:
            return ""
        want = FAMILY_LABEL[definition_family]
        matching = self.queues_for(definition_family, queues)
        hint = f" ({', '.join(matching[:3])})" if matching else ""
        return (
            f"Queue {queue.strip()} runs jobs on {FAMILY_LABEL[queue_family]}, but job definition "
            f"{definition.strip()} is for {want}: AWS Batch would refuse or never run the job. "
            f"Pick a {want} queue{hint} or a {FAMILY_LABEL[queue_family]} job definition."
        )

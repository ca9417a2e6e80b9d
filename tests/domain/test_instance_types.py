from __future__ import annotations

import pytest

from batchgui import resources
from batchgui.domain.instance_types import DEFAULT_ARM64_FAMILIES, InstanceCatalogue


@pytest.fixture(scope="module")
def catalogue() -> InstanceCatalogue:
    return resources.instance_catalogue()


@pytest.mark.parametrize(
    "name",
    [
        "p2",
        "p2.xlarge",
        "p3",
        "p3.2xlarge",
        "g4dn.xlarge",
        "g5",
        "m6g",
        "c7i",
        "c5a",
        "optimal",
        "default_x86_64",
        "default_arm64",
        "trn1.2xlarge",
        "m5.24xlarge",
    ],
)
def test_the_names_aws_documents_are_known(catalogue: InstanceCatalogue, name: str) -> None:
    assert catalogue.is_known(name)
    assert catalogue.expand([name])


@pytest.mark.parametrize("name", ["m5.huge", "q9", "x86", "", "c5.", "optimal2"])
def test_names_aws_refuses_are_unknown(catalogue: InstanceCatalogue, name: str) -> None:
    assert not catalogue.is_known(name)
    assert catalogue.unknown(["c5", name]) == [name]


def test_sizes_match_aws(catalogue: InstanceCatalogue) -> None:
    p3 = catalogue.types["p3.2xlarge"]
    assert (p3.vcpus, p3.memory_mib, p3.gpus) == (8, 61 * 1024, 1)
    g4 = catalogue.types["g4dn.xlarge"]
    assert (g4.vcpus, g4.memory_mib, g4.gpus, g4.architectures) == (4, 16384, 1, ("x86_64",))
    assert catalogue.types["m6g.large"].architectures == ("arm64",)
    # The user guide's m4.large: 8 GiB installed, 7,985 MiB registered, 32 MiB reserved for the agent.
    assert catalogue.types["m4.large"].usable_memory_mib == 7985 - 32


def test_families_and_choices_expand_smallest_first(catalogue: InstanceCatalogue) -> None:
    p2 = catalogue.expand(["p2"])
    assert [t.name for t in p2] == ["p2.xlarge", "p2.8xlarge", "p2.16xlarge"]
    arm = catalogue.expand(["default_arm64"])
    assert {t.family for t in arm} == set(DEFAULT_ARM64_FAMILIES)
    assert catalogue.architectures(["default_arm64"]) == {"arm64"}
    assert catalogue.architectures(["optimal"]) == {"x86_64"}
    sizes = [(t.vcpus, t.memory_mib) for t in arm]
    assert sizes == sorted(sizes)


def test_gpu_jobs_fit_only_where_gpus_are(catalogue: InstanceCatalogue) -> None:
    assert catalogue.smallest_fit(["c5", "m5"], 4, 8000, gpus=1) is None
    fit = catalogue.smallest_fit(["c5", "g4dn"], 4, 8000, gpus=1)
    assert fit is not None
    assert fit.name == "g4dn.xlarge"
    assert catalogue.smallest_fit(["default_arm64"], 2, 4000, architecture="x86_64") is None


def test_the_largest_allowed_type(catalogue: InstanceCatalogue) -> None:
    largest = catalogue.largest(["m5.large", "m5.4xlarge"])
    assert largest is not None
    assert largest.name == "m5.4xlarge"
    assert catalogue.largest([]) is None

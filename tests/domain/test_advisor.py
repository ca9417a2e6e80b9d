from __future__ import annotations

from batchgui.domain.advisor import Choice, WorkloadAnswers, advise


def test_small_jobs_get_fargate_with_reasons() -> None:
    advice = advise(WorkloadAnswers(max_vcpus_per_job=2, max_memory_gib_per_job=4, needs_fast_start=True))
    assert advice.choice is Choice.FARGATE
    assert advice.platform == "FARGATE"
    assert any("30 seconds" in r for r in advice.reasons)
    assert "Recommended: FARGATE" in advice.text()


def test_limits_are_inclusive() -> None:
    assert advise(WorkloadAnswers(max_vcpus_per_job=16, max_memory_gib_per_job=120)).choice is Choice.FARGATE
    assert advise(WorkloadAnswers(max_vcpus_per_job=17)).choice is Choice.EC2
    assert advise(WorkloadAnswers(max_memory_gib_per_job=121)).choice is Choice.EC2


def test_each_ec2_need_is_a_reason() -> None:
    advice = advise(
        WorkloadAnswers(
            needs_gpu=True,
            custom_ami=True,
            needs_efa=True,
            linux_parameters=True,
            specific_instance_types=True,
            concurrent_jobs=5000,
        )
    )
    assert advice.choice is Choice.EC2
    text = " ".join(advice.reasons)
    for words in ("GPU", "AMI", "Elastic Fabric Adapter", "linuxParameters", "instance types", "concurrency"):
        assert words in text
    assert any("few minutes" in n for n in advice.notes)


def test_interruptible_jobs_get_spot() -> None:
    assert advise(WorkloadAnswers(interruptible=True)).platform == "FARGATE_SPOT"
    assert advise(WorkloadAnswers(needs_gpu=True, interruptible=True)).platform == "SPOT"


def test_spot_savings_are_the_ones_aws_states_for_each_platform() -> None:
    fargate = advise(WorkloadAnswers(interruptible=True))
    assert any("Fargate Spot" in n and "up to 70%" in n for n in fargate.notes)
    assert not any("90%" in n for n in fargate.notes)
    ec2 = advise(WorkloadAnswers(needs_gpu=True, interruptible=True))
    assert any("up to 90%" in n for n in ec2.notes)

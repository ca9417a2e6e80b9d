"""Placement rules on plain data: no sandbox, no processes, no SQLite."""

from __future__ import annotations

from typing import Any

from batchgui.sandbox import placement
from batchgui.sandbox.placement import Candidate, Capacity, Slot

Json = dict[str, Any]


def fargate_ce(name: str, max_vcpus: int = 4, state: str = "ENABLED", status: str = "VALID") -> Json:
    return {
        "computeEnvironmentName": name,
        "computeEnvironmentArn": f"ce/{name}",
        "state": state,
        "status": status,
        "computeResources": {"type": "FARGATE", "maxvCpus": max_vcpus},
    }


def ec2_ce(name: str, max_vcpus: int = 16, types: tuple[str, ...] = ("m5",)) -> Json:
    return {
        "computeEnvironmentName": name,
        "computeEnvironmentArn": f"ce/{name}",
        "state": "ENABLED",
        "status": "VALID",
        "computeResources": {"type": "EC2", "maxvCpus": max_vcpus, "instanceTypes": list(types)},
    }


def queue(name: str, ces: list[str], priority: int = 1, state: str = "ENABLED") -> Json:
    return {
        "jobQueueName": name,
        "jobQueueArn": f"q/{name}",
        "priority": priority,
        "state": state,
        "status": "VALID",
        "computeEnvironmentOrder": [
            {"order": n, "computeEnvironment": f"ce/{ce}"} for n, ce in enumerate(ces, start=1)
        ],
    }


def job(job_id: str, vcpus: float = 1.0, memory: int = 2048, **kw: Any) -> Candidate:
    return Candidate(job_id, vcpus, memory, **kw)


def by_arn(*ces: Json) -> dict[str, Json]:
    return {ce["computeEnvironmentArn"]: ce for ce in ces}


def placed_ids(decisions: placement.Decisions) -> list[str]:
    return [d.job.job_id for d in decisions.placed]


def test_fifo_within_a_queue_until_fargate_is_full() -> None:
    ces = by_arn(fargate_ce("f", max_vcpus=2))
    out = placement.place([queue("q", ["f"])], ces, {"q/q": [job("a"), job("b"), job("c")]}, Capacity())
    assert placed_ids(out) == ["a", "b"]
    assert all(d.instance_id is None and d.ce_arn == "ce/f" for d in out.placed)


def test_fargate_usage_already_in_use_counts() -> None:
    ces = by_arn(fargate_ce("f", max_vcpus=2))
    capacity = Capacity(used_vcpus={"ce/f": 1.5})
    out = placement.place([queue("q", ["f"])], ces, {"q/q": [job("a", 0.5), job("b", 0.5)]}, capacity)
    assert placed_ids(out) == ["a"]


def test_higher_priority_queue_goes_first() -> None:
    ces = by_arn(fargate_ce("f", max_vcpus=1))
    queues = [queue("low", ["f"], priority=1), queue("high", ["f"], priority=10)]
    out = placement.place(queues, ces, {"q/low": [job("l")], "q/high": [job("h")]}, Capacity())
    assert placed_ids(out) == ["h"]


def test_equal_priorities_by_name() -> None:
    ces = by_arn(fargate_ce("f", max_vcpus=1))
    queues = [queue("b", ["f"]), queue("a", ["f"])]
    out = placement.place(queues, ces, {"q/a": [job("from-a")], "q/b": [job("from-b")]}, Capacity())
    assert placed_ids(out) == ["from-a"]


def test_first_environment_in_the_queue_order_with_room() -> None:
    ces = by_arn(fargate_ce("one", max_vcpus=1), fargate_ce("two", max_vcpus=4))
    out = placement.place([queue("q", ["one", "two"])], ces, {"q/q": [job("a"), job("b")]}, Capacity())
    assert [d.ce_arn for d in out.placed] == ["ce/one", "ce/two"]


def test_disabled_or_invalid_environments_and_queues_get_nothing() -> None:
    ces = by_arn(fargate_ce("off", state="DISABLED"), fargate_ce("new", status="CREATING"))
    queues = [queue("q", ["off", "new"]), queue("stopped", ["off"], state="DISABLED")]
    out = placement.place(queues, ces, {"q/q": [job("a")], "q/stopped": [job("b")]}, Capacity())
    assert out.placed == []
    assert placement.queues_to_fill(queues, ces, Capacity()) == []


def test_queues_to_fill_skips_a_queue_whose_fargate_is_full() -> None:
    ces = by_arn(fargate_ce("f", max_vcpus=1), fargate_ce("g", max_vcpus=1))
    queues = [queue("full", ["f"]), queue("free", ["g"])]
    capacity = Capacity(used_vcpus={"ce/f": 1.0})
    assert [q["jobQueueName"] for q in placement.queues_to_fill(queues, ces, capacity)] == ["free"]


def test_ec2_best_fit_picks_the_fullest_instance_that_fits() -> None:
    ces = by_arn(ec2_ce("e"))
    capacity = Capacity(instances={"ce/e": [Slot("roomy", 8, 32000), Slot("snug", 2, 8000)]})
    out = placement.place([queue("q", ["e"])], ces, {"q/q": [job("a", 2, 4000)]}, capacity)
    assert [d.instance_id for d in out.placed] == ["snug"]


def test_ec2_bin_packing_fills_instances_and_leaves_the_rest_as_demand() -> None:
    ces = by_arn(ec2_ce("e"))
    capacity = Capacity(instances={"ce/e": [Slot("i-1", 4, 16000)]})
    jobs = [job(f"j{n}", 2, 4000) for n in range(3)]
    out = placement.place([queue("q", ["e"])], ces, {"q/q": jobs}, capacity)
    assert placed_ids(out) == ["j0", "j1"]
    assert out.demand == {"ce/e": [(2, 4000)]}


def test_memory_limits_ec2_packing_too() -> None:
    ces = by_arn(ec2_ce("e"))
    capacity = Capacity(instances={"ce/e": [Slot("i-1", 8, 4000)]})
    out = placement.place([queue("q", ["e"])], ces, {"q/q": [job("a", 1, 3000), job("b", 1, 3000)]}, capacity)
    assert placed_ids(out) == ["a"]


def test_instances_still_provisioning_take_no_jobs() -> None:
    ces = by_arn(ec2_ce("e"))
    capacity = Capacity(instances={"ce/e": [Slot("i-1", 4, 16000, ready=False)]})
    out = placement.place([queue("q", ["e"])], ces, {"q/q": [job("a")]}, capacity)
    assert out.placed == []
    assert out.demand == {"ce/e": [(1.0, 2048)]}


def test_capacity_passed_in_is_not_changed() -> None:
    ces = by_arn(ec2_ce("e"), fargate_ce("f"))
    capacity = Capacity(instances={"ce/e": [Slot("i-1", 4, 16000)]})
    placement.place(
        [queue("q", ["e"]), queue("p", ["f"])], ces, {"q/q": [job("a")], "q/p": [job("b")]}, capacity
    )
    assert capacity == Capacity(instances={"ce/e": [Slot("i-1", 4, 16000)]})


def test_process_cap_stops_the_pass_and_keeps_old_demand() -> None:
    ces = by_arn(fargate_ce("f", max_vcpus=8))
    out = placement.place([queue("q", ["f"])], ces, {"q/q": [job("a"), job("b")]}, Capacity(processes=1))
    assert placed_ids(out) == ["a"]
    assert out.exhausted


def test_a_job_bigger_than_fargate_max_gets_the_max_resource_reason() -> None:
    ces = by_arn(fargate_ce("f", max_vcpus=2))
    out = placement.place([queue("q", ["f"])], ces, {"q/q": [job("big", 4, 8192)]}, Capacity())
    assert out.reasons == {"big": placement.MAX_RESOURCE_REASON}


def test_a_job_no_instance_type_can_hold_is_misconfigured() -> None:
    ces = by_arn(ec2_ce("e", max_vcpus=256, types=("m5.large",)))
    out = placement.place([queue("q", ["e"])], ces, {"q/q": [job("huge", 64, 1024)]}, Capacity())
    assert out.reasons == {"huge": placement.MISCONFIG_REASON}
    assert out.demand == {}


def test_an_ec2_job_over_max_vcpus_but_within_a_type_is_max_resource() -> None:
    ces = by_arn(ec2_ce("e", max_vcpus=2, types=("m5",)))
    assert placement.misfit_reason(list(ces.values()), 4, 1024) == placement.MAX_RESOURCE_REASON


def test_a_reason_already_recorded_is_not_written_again() -> None:
    ces = by_arn(fargate_ce("f", max_vcpus=1))
    stuck = job("big", 4, 8192, status_reason=placement.MAX_RESOURCE_REASON)
    out = placement.place([queue("q", ["f"])], ces, {"q/q": [stuck]}, Capacity())
    assert out.reasons == {}


def test_unmanaged_environment_uses_unmanaged_vcpus() -> None:
    ce = {
        "computeEnvironmentName": "u",
        "computeEnvironmentArn": "ce/u",
        "state": "ENABLED",
        "status": "VALID",
        "unmanagedvCpus": 2,
    }
    out = placement.place(
        [queue("q", ["u"])], {"ce/u": ce}, {"q/q": [job("a"), job("b"), job("c")]}, Capacity()
    )
    assert placed_ids(out) == ["a", "b"]


def test_a_pass_stops_after_too_many_misses_in_a_row() -> None:
    ces = by_arn(ec2_ce("e"))
    jobs = [job(f"j{n}") for n in range(placement.MAX_MISSES + 10)]
    out = placement.place([queue("q", ["e"])], ces, {"q/q": jobs}, Capacity())
    assert len(out.demand["ce/e"]) == placement.MAX_MISSES


def test_fair_share_takes_from_the_least_used_share() -> None:
    jobs = [job("a1", share="a"), job("a2", share="a"), job("b1", share="b")]
    ordered = placement.fair_share_order(jobs, {"a": 0.0, "b": 0.0}, [])
    assert [j.job_id for j in ordered] == ["a1", "b1", "a2"]


def test_fair_share_weight_factor_smaller_gets_more() -> None:
    jobs = [job("a1", share="a"), job("a2", share="a"), job("b1", share="b"), job("b2", share="b")]
    distribution = [
        {"shareIdentifier": "a", "weightFactor": 0.1},
        {"shareIdentifier": "b", "weightFactor": 1},
    ]
    ordered = placement.fair_share_order(jobs, {"a": 1.0, "b": 1.0}, distribution)
    assert [j.job_id for j in ordered][:2] == ["a1", "a2"]


def test_share_weight_prefix_and_default() -> None:
    distribution = [{"shareIdentifier": "team*", "weightFactor": 0.5}]
    assert placement.share_weight(distribution, "team-blue") == 0.5
    assert placement.share_weight(distribution, "other") == 1.0


def test_share_usage_decays() -> None:
    usage = placement.ShareUsage()
    usage.note("q", "a", 4.0, now=100.0)
    decayed = usage.decayed("q", decay_s=10.0, now=110.0)
    assert 1.4 < decayed["a"] < 1.5  # 4 / e
    assert usage.decayed("other", decay_s=10.0, now=110.0) == {}


def test_dependencies_are_not_placements_concern_only_runnable_jobs_come_in() -> None:
    # PENDING jobs (waiting for dependencies) are never candidates: an empty list places nothing.
    ces = by_arn(fargate_ce("f"))
    out = placement.place([queue("q", ["f"])], ces, {"q/q": []}, Capacity())
    assert out == placement.Decisions()

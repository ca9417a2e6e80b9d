"""Writes resources/ec2-instance-types.json: every EC2 instance type's vCPUs, memory, GPUs and
architectures, from the DescribeInstanceTypes data that moto ships (moto/ec2/resources), plus the
previous-generation GPU types AWS Batch still documents (p2, p3, g3) that the data no longer lists.

Run it after upgrading moto: `.venv/bin/python packaging/make_instance_types.py`.
"""

from __future__ import annotations

import datetime
import gzip
import json
from importlib import metadata, resources
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "resources" / "ec2-instance-types.json"

# From AWS's instance type pages for the previous generation (vCPUs, memory GiB, GPUs, GPU name).
PREVIOUS_GENERATION = {
    "p2.xlarge": (4, 61, 1, "K80"),
    "p2.8xlarge": (32, 488, 8, "K80"),
    "p2.16xlarge": (64, 732, 16, "K80"),
    "p3.2xlarge": (8, 61, 1, "V100"),
    "p3.8xlarge": (32, 244, 4, "V100"),
    "p3.16xlarge": (64, 488, 8, "V100"),
    "g3s.xlarge": (4, 30.5, 1, "M60"),
    "g3.4xlarge": (16, 122, 1, "M60"),
    "g3.8xlarge": (32, 244, 2, "M60"),
    "g3.16xlarge": (64, 488, 4, "M60"),
}


def rows(data: dict[str, Any]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for name, info in sorted(data.items()):
        gpus = info.get("GpuInfo", {}).get("Gpus", [])
        count = sum(int(g.get("Count", 0)) for g in gpus)
        gpu_name = "/".join(
            sorted({f"{g.get('Manufacturer', '')} {g.get('Name', '')}".strip() for g in gpus})
        )
        architectures = sorted(
            a
            for a in info.get("ProcessorInfo", {}).get("SupportedArchitectures", [])
            if a in ("x86_64", "arm64")
        )
        if not architectures:
            continue  # Mac instances (x86_64_mac, arm64_mac) cannot join a Batch compute environment
        out.append(
            [
                name,
                int(info["VCpuInfo"]["DefaultVCpus"]),
                int(info["MemoryInfo"]["SizeInMiB"]),
                count,
                gpu_name,
                ",".join(architectures),
            ]
        )
    for name, (vcpus, gib, count, gpu) in PREVIOUS_GENERATION.items():
        if name not in data:
            out.append([name, vcpus, int(gib * 1024), count, f"NVIDIA {gpu}", "x86_64"])
    return sorted(out)


def main() -> None:
    source = resources.files("moto.ec2") / "resources" / "instance_types.json.gz"
    data = json.loads(gzip.decompress(source.read_bytes()))
    document = {
        "source": f"moto {metadata.version('moto')} ec2/resources/instance_types.json.gz "
        "(AWS DescribeInstanceTypes), plus p2/p3/g3 from AWS's previous-generation pages",
        "generated": datetime.date.today().isoformat(),
        "columns": ["name", "vcpus", "memory_mib", "gpus", "gpu", "architectures"],
        "types": rows(data),
    }
    OUT.write_text(json.dumps(document, separators=(",", ":")).replace("],[", "],\n[") + "\n")
    print(f"{OUT}: {len(document['types'])} instance types")


if __name__ == "__main__":
    main()

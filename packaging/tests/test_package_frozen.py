"""The PyInstaller app folder (dist/batchgui) as a user gets it: starts, draws, runs sandbox jobs,
installs a menu entry. Run by `make package-test` after `make package`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import APP_ID, REPO
from PySide6.QtGui import QImage

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(sys.platform != "linux", reason="the packaging tests run on the Linux build"),
]
# A regression guard, not a target: the folder was 283 MB when first built (PySide6 ~150 MB).
MAX_FOLDER_MB = 400


def _program(app_dir: Path) -> str:
    return str(app_dir / "batchgui")


def _folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20


def test_version_matches_the_package_metadata(app_dir: Path, clean_env: dict[str, str]) -> None:
    result = subprocess.run(
        [_program(app_dir), "--version"],
        capture_output=True,
        text=True,
        env=clean_env,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == f"batchgui {metadata.version('batchgui')}"


def test_the_app_starts_offscreen_on_the_sandbox_and_writes_a_screenshot(
    app_dir: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    shot = tmp_path / "jobs.png"
    data = tmp_path / "data"
    result = subprocess.run(
        [
            _program(app_dir),
            "--screenshot",
            str(shot),
            "--panel",
            "jobs",
            "--after",
            "1",
            "--config-dir",
            str(tmp_path / "config"),
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        env=clean_env,
        timeout=180,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"screenshot: {shot}" in result.stdout
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 800)
    colours = {image.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 800, 16)}
    assert len(colours) > 5, "the screenshot is blank"
    log = (data / "batchgui.log").read_text(encoding="utf-8")
    assert " ERROR " not in log, log
    assert "failed" not in log, log
    # The embedded sandbox started and kept its state in the data dir.
    assert (data / "sandbox").is_dir()


@pytest.fixture
def frozen_sandbox(app_dir: Path, clean_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`batchgui -m batchgui.sandbox.cli serve` from the frozen app; yields boto3 client kwargs."""
    process = subprocess.Popen(
        [_program(app_dir), "-m", "batchgui.sandbox.cli", "serve", "--data-dir", str(tmp_path / "sandbox")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, f"the frozen sandbox did not start: {process.stderr.read() if process.stderr else ''}"
        info = json.loads(line)
        yield {
            "endpoint_url": info["endpoint_url"],
            "region_name": info["region"],
            "aws_access_key_id": info["access_key_id"],
            "aws_secret_access_key": info["secret_access_key"],
        }
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _wait_for_end(batch: Any, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = dict(batch.describe_jobs(jobs=[job_id])["jobs"][0])
        if job["status"] in ("SUCCEEDED", "FAILED"):
            break
        time.sleep(0.5)
    return job


def _job_output(client_kwargs: dict[str, Any], job: dict[str, Any]) -> str:
    stream = job.get("container", {}).get("logStreamName")
    if not stream:
        return ""
    logs = boto3.client("logs", **client_kwargs)
    events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=stream)["events"]
    return "\n".join(e["message"] for e in events)


def test_the_frozen_sandbox_runs_the_demo_csv_processor_job(frozen_sandbox: dict[str, Any]) -> None:
    """The job's `python -m batchgui.sandbox.demo.processor` runs as `batchgui -m ...` here."""
    batch = boto3.client("batch", **frozen_sandbox)
    job_id = batch.submit_job(
        jobName="frozen-processor",
        jobQueue="fargate-queue",
        jobDefinition="csv-row-processor",
        parameters={"rows_per_child": "0", "delay_ms": "0", "submission_id": "frozen"},
    )["jobId"]
    job = _wait_for_end(batch, job_id)
    output = _job_output(frozen_sandbox, job).splitlines()
    assert job.get("status") == "SUCCEEDED", (job.get("statusReason"), output[-10:])
    assert any(line.startswith("done:") for line in output), output[-10:]
    items = boto3.client("dynamodb", **frozen_sandbox).query(
        TableName="batchgui-demo-results",
        KeyConditionExpression="submission_id = :s",
        ExpressionAttributeValues={":s": {"S": "frozen"}},
        Select="COUNT",
    )
    assert items["Count"] > 0


def test_every_aws_service_the_app_uses_answers_in_the_frozen_sandbox(frozen_sandbox: dict[str, Any]) -> None:
    """moto's services are bundled selectively (packaging/batchgui.spec MOTO_SERVICES): call each."""
    assert "batchgui-demo" in [
        b["Name"] for b in boto3.client("s3", **frozen_sandbox).list_buckets()["Buckets"]
    ]
    assert "batchgui-demo-results" in boto3.client("dynamodb", **frozen_sandbox).list_tables()["TableNames"]
    assert "Roles" in boto3.client("iam", **frozen_sandbox).list_roles()
    assert boto3.client("sts", **frozen_sandbox).get_caller_identity()["Account"]
    ec2 = boto3.client("ec2", **frozen_sandbox)
    assert ec2.describe_instance_types(InstanceTypes=["c5.large"])["InstanceTypes"][0]["VCpuInfo"]
    assert ec2.describe_subnets()["Subnets"]
    assert boto3.client("batch", **frozen_sandbox).describe_job_queues()["jobQueues"]
    assert "logGroups" in boto3.client("logs", **frozen_sandbox).describe_log_groups()


def test_a_sandbox_job_written_for_python_minus_c_runs_in_the_frozen_app(
    frozen_sandbox: dict[str, Any],
) -> None:
    """A job definition's `python3 -c ...` must run the code, not open the app's window."""
    batch = boto3.client("batch", **frozen_sandbox)
    batch.register_job_definition(
        jobDefinitionName="python-c",
        type="container",
        platformCapabilities=["FARGATE"],
        containerProperties={
            "image": "python:3.11",
            "command": ["python3", "-u", "-c", "import sys; print('hello from', sys.argv[1])", "the-job"],
            "resourceRequirements": [{"type": "VCPU", "value": "0.25"}, {"type": "MEMORY", "value": "512"}],
            "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        },
    )
    job_id = batch.submit_job(jobName="python-c", jobQueue="fargate-queue", jobDefinition="python-c")["jobId"]
    job = _wait_for_end(batch, job_id)
    assert job.get("status") == "SUCCEEDED", job.get("statusReason")
    assert "hello from the-job" in _job_output(frozen_sandbox, job)


# Run inside the frozen app with `batchgui -c`: opens Help -> About, selects boto3, saves a PNG.
ABOUT_SCRIPT = """
import asyncio, sys
import qasync
from PySide6.QtWidgets import QApplication
from batchgui.app import Application, parse_args
from batchgui.ui.about import AboutDialog
qt = QApplication([])
loop = qasync.QEventLoop(qt)
asyncio.set_event_loop(loop)
out = sys.argv[1]
app = Application(parse_args(["--config-dir", out + ".c", "--data-dir", out + ".d"]), qt, start_local=None)
app.window.show()
app.window._about()
dialog = app.window.findChild(AboutDialog)
async def shoot():
    while not dialog.components_loaded:
        await asyncio.sleep(0.05)
    dialog.table.selectRow(dialog.model.row_of_key("boto3"))
    while "Apache License" not in dialog.license_view.toPlainText():
        await asyncio.sleep(0.05)
    print(dialog.license_view.toPlainText()[:4000])
    print("ROWS", [(c.name, c.version, c.license) for c in dialog.model.all_rows()])
    dialog.grab().save(out)
with loop:
    loop.run_until_complete(asyncio.wait_for(shoot(), 60))
app.shutdown()
"""


def test_the_about_box_in_the_frozen_app_lists_bundled_components_and_licenses(
    app_dir: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    shot = tmp_path / "about.png"
    result = subprocess.run(
        [_program(app_dir), "-c", ABOUT_SCRIPT, str(shot)],
        capture_output=True,
        text=True,
        env=clean_env,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Apache License" in result.stdout  # boto3's LICENSE file, read from the bundled metadata
    rows = result.stdout.split("ROWS ", 1)[1]
    expected = {"batchgui": "Apache-2.0", "boto3": "Apache-2.0", "pyqtgraph": "MIT", "moto": "Apache-2.0"}
    for name, licence in expected.items():
        assert f"('{name}', '{metadata.version(name)}', '{licence}')" in rows, name
    assert "LGPL-3.0" in rows
    assert not QImage(str(shot)).isNull()
    looked_at = REPO / "build" / "package-test"
    looked_at.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, looked_at / "about-frozen.png")  # for a person to look at


def test_the_folder_holds_resources_plugins_metadata_and_desktop_files(app_dir: Path) -> None:
    internal = app_dir / "_internal"
    for name in ("icons/batchgui.svg", "sample.csv", f"{APP_ID}.desktop", "licenses/LGPL-3.0.txt"):
        assert (internal / "batchgui" / "resources" / name).is_file(), name
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for plugin in ("platforms/libqoffscreen.so", "platforms/libqxcb.so", "imageformats/libqsvg.so"):
        assert (plugins / plugin).is_file(), plugin
    for distribution in ("batchgui", "boto3", "botocore", "moto", "pyqtgraph", "qasync", "numpy"):
        version = metadata.version(distribution)
        found = list(internal.glob(f"*-{version}.dist-info"))
        assert any(p.name.lower().replace("_", "-").startswith(distribution.lower()) for p in found), (
            distribution
        )
    assert (app_dir / "share" / "applications" / f"{APP_ID}.desktop").is_file()
    assert (app_dir / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (
            app_dir / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        ).is_file()
    size_mb = _folder_mb(app_dir)
    print(f"dist/batchgui: {size_mb:.0f} MB")
    assert size_mb < MAX_FOLDER_MB, f"the app folder grew to {size_mb:.0f} MB"


def test_the_folder_passes_appstream_validate_tree(app_dir: Path) -> None:
    appstreamcli = shutil.which("appstreamcli")
    if appstreamcli is None:
        pytest.skip("appstreamcli is not installed (packaging/system-deps.sh installs it on Debian)")
    result = subprocess.run(
        [appstreamcli, "validate-tree", "--no-net", str(app_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_sh_adds_a_menu_entry_that_starts_the_app_and_uninstall_removes_it(
    app_dir: Path, clean_env: dict[str, str], tmp_path: Path
) -> None:
    prefix = tmp_path / "prefix"
    env = {**clean_env, "PATH": f"{prefix / 'bin'}:{clean_env['PATH']}"}
    subprocess.run(
        ["bash", str(app_dir / "install.sh"), "--prefix", str(prefix)], env=env, check=True, timeout=120
    )
    desktop = prefix / "share" / "applications" / f"{APP_ID}.desktop"
    exec_line = next(
        line for line in desktop.read_text(encoding="utf-8").splitlines() if line.startswith("Exec=")
    )
    program = exec_line.removeprefix("Exec=").split()[0]
    assert program == str(prefix / "lib" / "batchgui" / "batchgui")
    validator = shutil.which("desktop-file-validate")
    if validator is not None:
        subprocess.run([validator, str(desktop)], check=True, timeout=60)
    assert (prefix / "share" / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()
    assert (prefix / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    for command in (program, str(prefix / "bin" / "batchgui")):
        result = subprocess.run(
            [command, "--version"], capture_output=True, text=True, env=env, timeout=60, check=True
        )
        assert result.stdout.startswith("batchgui ")
    subprocess.run(
        ["bash", str(app_dir / "install.sh"), "--prefix", str(prefix), "--uninstall"],
        env=env,
        check=True,
        timeout=60,
    )
    assert not desktop.exists()
    assert not (prefix / "lib" / "batchgui").exists()
    assert not (prefix / "bin" / "batchgui").exists()
    assert not list((prefix / "share" / "icons").rglob(f"{APP_ID}.*"))
    assert os.listdir(prefix / "bin") == []

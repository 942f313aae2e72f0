"""README's Quickstart is two commands, one starting the app (scripts/start.sh) and one running the tests
(scripts/test.sh); start.sh's steps are checked through its --dry-run, which installs and starts nothing."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Quickstart"):]
    section = section[:section.index("\n## ", 3)]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_the_quickstart_is_two_commands_start_and_test():
    assert quickstart_commands() == ["bash scripts/start.sh", "bash scripts/test.sh"]
    for script in ("start.sh", "test.sh"):
        assert (ROOT / "scripts" / script).is_file()


def repo_copy(tmp_path: Path, with_venv: bool) -> Path:
    """A folder holding start.sh where the repository's scripts/ would be, with the Debian data folder it checks
    replaced by one that does not exist (so the data step shows whatever this machine has)."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    text = (ROOT / "scripts" / "start.sh").read_text()
    assert text.count(DEBIAN_FASHION) == 1
    (root / "scripts" / "start.sh").write_text(text.replace(DEBIAN_FASHION, str(tmp_path / "no-such-folder")))
    if with_venv:
        (root / ".venv" / "bin").mkdir(parents=True)
        (root / ".venv" / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    return root


def tools(tmp_path: Path, apt: bool) -> str:
    """A PATH holding only what start.sh calls besides bash (dirname, id) and, when ``apt``, a fake apt-get."""
    bin_dir = tmp_path / ("bin-apt" if apt else "bin")
    bin_dir.mkdir()
    for tool in ("dirname", "id"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    if apt:
        (bin_dir / "apt-get").write_text("#!/bin/sh\necho apt-get must not run in a dry run >&2\nexit 99\n")
        (bin_dir / "apt-get").chmod(0o755)
    return str(bin_dir)


def dry_run(root: Path, path: str, *args: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "KDVIZ_FASHION_MNIST"}
    done = subprocess.run([shutil.which("bash"), str(root / "scripts" / "start.sh"), "--dry-run", *args],
                          capture_output=True, text=True, timeout=60, env={**env, "PATH": path})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def test_start_creates_the_venv_installs_fetches_the_images_and_starts_streamlit(tmp_path):
    lines = dry_run(repo_copy(tmp_path, with_venv=False), tools(tmp_path, apt=True), "--server.port", "8600")
    sudo = "" if os.getuid() == 0 else "sudo "
    assert lines == [
        "+ python3 -m venv .venv",
        "+ .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt",
        f"+ {sudo}apt-get update -qq",
        f"+ {sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist",
        "+ exec .venv/bin/streamlit run app.py --server.port 8600",
    ]


def test_start_keeps_an_existing_venv_and_says_how_to_get_the_images_without_apt(tmp_path):
    lines = dry_run(repo_copy(tmp_path, with_venv=True), tools(tmp_path, apt=False))
    assert lines[0] == "+ .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt"
    assert lines[1].startswith("Fashion-MNIST is missing and apt-get is not available") and "KDVIZ_FASHION_MNIST" in \
        lines[1]
    assert lines[2:] == ["+ exec .venv/bin/streamlit run app.py"]


@pytest.mark.skipif(not Path(DEBIAN_FASHION).is_dir() or not (ROOT / ".venv/bin/python").exists(),
                    reason="needs Debian's dataset-fashion-mnist and this checkout's .venv")
def test_start_on_a_machine_that_has_everything_only_installs_the_requirements_and_starts():
    env = {k: v for k, v in os.environ.items() if k != "KDVIZ_FASHION_MNIST"}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "start.sh"), "--dry-run"], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [
        "+ .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt",
        "+ exec .venv/bin/streamlit run app.py"]

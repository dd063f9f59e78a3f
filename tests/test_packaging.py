"""The package works installed non-editable, outside the repository: schemas ship in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("accomp-*.whl")
    return built


def test_the_wheel_carries_the_schemas_and_defaults(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "accomp/schemas/casefile.schema.json" in names
    assert "accomp/schemas/store.schema.json" in names
    assert "accomp/defaults.yaml" in names


def test_an_installed_wheel_runs_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The installed copy comes first on the path; the dependencies come from this venv.
    env = {**os.environ, "PYTHONPATH": str(target), "ACCOMP_TODAY": "2026-11-20"}

    def accomp(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "accomp", *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
        )

    where = subprocess.run(
        [sys.executable, "-c", "import accomp; print(accomp.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(target))
    assert accomp("--help").returncode == 0
    assert accomp("init", "store").returncode == 0
    assert (elsewhere / "store" / "schemas" / "casefile.schema.json").is_file()
    enrolled = accomp(
        "--store", "store", "enrol", "--given-name", "A", "--family-name", "B",
        "--birth-date", "2003-01-01", "--sex", "F", "--programme", "cej",
        "--start", "2026-09-07", "--referent", "x", "--no-input",
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    validated = accomp("--store", "store", "validate", "--all")
    assert validated.returncode == 0, validated.stdout + validated.stderr

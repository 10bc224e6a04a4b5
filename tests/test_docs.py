"""The README is tested so it cannot drift from the code, the CI script and the packaging."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```\s*$", re.S | re.M)


def fenced_blocks() -> list[tuple[str, str, int]]:
    """Every fenced block of the README: (language, body, offset of the block)."""
    text = README.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), m.start()) for m in FENCE.finditer(text)]


def logical_lines(body: str) -> list[str]:
    """Lines of a block with backslash continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in body.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        lines.append((pending + line.strip()) if pending else line)
        pending = ""
    if pending:
        lines.append(pending.strip())
    return lines


def commands(body: str) -> list[str]:
    return [line.strip() for line in logical_lines(body) if line.strip()]


def sample_examples() -> list[str]:
    """Every `conversion rates` command in the README's code blocks that reads sample_data."""
    found = []
    for _, body, _ in fenced_blocks():
        for line in logical_lines(body):
            command = line.strip().removeprefix("$ ").strip()
            if command.startswith("conversion rates") and "sample_data/" in command:
                found.append(command)
    return found


def run_module(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conversion", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


# ---------------------------------------------------------------------------------------------
# The two commands the README opens with


def _opening_commands() -> tuple[str, str]:
    blocks = fenced_blocks()
    assert len(blocks) >= 2
    first, second = blocks[0], blocks[1]
    app, test = commands(first[1]), commands(second[1])
    assert len(app) == 1, f"the first fenced block must hold one command, got {app}"
    assert len(test) == 1, f"the second fenced block must hold one command, got {test}"
    return app[0], test[0]


def _steps(command: str) -> list[list[str]]:
    return [shlex.split(step) for step in command.split("&&")]


def test_readme_opens_with_two_fenced_commands_before_any_section() -> None:
    text = README.read_text(encoding="utf-8")
    _opening_commands()
    first_section = text.find("\n## ")
    second_block_start = fenced_blocks()[1][2]
    assert first_section == -1 or second_block_start < first_section
    assert fenced_blocks()[0][0] in ("bash", "sh", "console", "")
    assert fenced_blocks()[1][0] in ("bash", "sh", "console", "")


def test_first_command_installs_requirements_and_runs_the_app() -> None:
    app, _ = _opening_commands()
    install, *rest = _steps(app)
    assert install[:2] == ["pip", "install"] or install[:4] == ["python", "-m", "pip", "install"]
    assert install[-2:] == ["-r", "requirements.txt"]
    assert rest == [["streamlit", "run", "app.py"]]
    assert (ROOT / "app.py").is_file()


def test_second_command_installs_dev_requirements_and_runs_pytest() -> None:
    _, test = _opening_commands()
    install, *rest = _steps(test)
    assert install[:2] == ["pip", "install"] or install[:4] == ["python", "-m", "pip", "install"]
    assert install[-2:] == ["-r", "requirements-dev.txt"]
    assert len(rest) == 1
    assert rest[0][:1] == ["pytest"] or rest[0][:3] == ["python", "-m", "pytest"]


def test_ci_helper_prints_the_readme_commands() -> None:
    app, test = _opening_commands()
    for which, expected in (("app", app), ("test", test)):
        printed = subprocess.run(
            [sys.executable, ".ci/readme_command.py", which],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert printed == expected


def test_ci_runs_the_readme_test_command_ruff_and_mypy() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    code = [line.strip() for line in script.splitlines() if not line.strip().startswith("#")]
    assert "set -euo pipefail" in code
    assert any(
        "readme_command.py test" in line and line.startswith("test_command=") for line in code
    )
    assert 'bash -c "$test_command"' in code
    assert "ruff check ." in code
    assert "ruff format --check ." in code
    assert "mypy" in code  # over conversion/ and ui/, as [tool.mypy] in pyproject.toml says
    # The README's test command runs before the linters.
    assert code.index('bash -c "$test_command"') < code.index("ruff check .")


# ---------------------------------------------------------------------------------------------
# Dependencies


def _requirement_files() -> list[Path]:
    return sorted(ROOT.glob("requirements*.txt"))


def test_both_requirement_files_exist() -> None:
    names = {path.name for path in _requirement_files()}
    assert {"requirements.txt", "requirements-dev.txt"} <= names


@pytest.mark.parametrize("path", _requirement_files(), ids=lambda p: p.name)
def test_requirements_have_no_urls_or_index(path: Path) -> None:
    text = path.read_text(encoding="utf-8").lower()
    assert "http" not in text
    assert "index-url" not in text


def test_requirements_install_the_project_itself() -> None:
    # The README says `conversion` is installed by its two commands: the package must be in both.
    for path in _requirement_files():
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        assert "-e ." in lines, path.name
    scripts = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'conversion = "conversion.cli:main"' in scripts


def test_no_uv_lock_is_tracked() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert tracked, "expected a git checkout"
    assert not [path for path in tracked if Path(path).name == "uv.lock"]


# ---------------------------------------------------------------------------------------------
# The command-line examples


def test_readme_has_sample_examples() -> None:
    examples = sample_examples()
    assert len(examples) >= 5
    for name in ("newsletter_signups", "b2b_leads", "crm_contacts_export", "campaign_summary"):
        assert any(name in example for example in examples)


@pytest.mark.parametrize("command", sample_examples())
def test_readme_sample_example_runs(command: str) -> None:
    args = shlex.split(command)
    assert args[0] == "conversion"
    result = run_module(args[1:])
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip()


def test_readme_example_output_matches_a_real_run() -> None:
    """The shown output lines of a `$ conversion ...` example are what the command prints."""
    checked = 0
    for _, body, _ in fenced_blocks():
        lines = logical_lines(body)
        starts = [i for i, line in enumerate(lines) if line.startswith("$ conversion ")]
        for start in starts:
            args = shlex.split(lines[start].removeprefix("$ "))
            shown = [line for line in lines[start + 1 :] if line.strip() not in ("", "...")]
            result = run_module(args[1:])
            assert result.returncode == 0, result.stderr
            printed = [line.rstrip() for line in result.stdout.splitlines()]
            for line in shown:
                assert line.rstrip() in printed, line
            checked += 1
    assert checked >= 1


def test_readme_synopsis_flags_exist() -> None:
    synopsis = next(
        body for _, body, _ in fenced_blocks() if "conversion rates CONTACTS --segment" in body
    )
    flags = set(re.findall(r"--[a-z][a-z-]*", synopsis))
    helped = run_module(["rates", "--help"]).stdout
    assert flags
    missing = sorted(flag for flag in flags if flag not in helped)
    assert not missing


def test_readme_csv_columns_are_the_real_ones() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"the segment columns, then `([^`]+)`", text.replace("\n", " "))
    assert match is not None
    documented = [c.strip() for c in match.group(1).split(",")]
    command = "rates sample_data/web_sessions.csv --segment visitor_type --converted revenue"
    result = run_module([*shlex.split(command), "--format", "csv"])
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split(",")
    assert header[0] == "visitor_type"
    assert header[1 : 1 + len(documented)] == documented

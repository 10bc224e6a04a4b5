"""Real-world export shapes, run through the command line and through the app's upload path.

The files in tests/corpus/ imitate what HubSpot, Salesforce, Google Ads, Meta Ads Manager, Excel
and event-log tools write, each with one trap (see tests/corpus/README.md). They are built by
tests/corpus/make_corpus.py from per-segment counts chosen by hand, and tests/corpus/expected.json
holds those counts literally, with the command-line arguments of two modes:

- "given": every role named on the command line;
- "detected": only the segment (and, for an event log, the id and contact date) named; the
  customer evidence is left to detection, which must say what it chose in one
  ``conversion: note:`` line per role.

Expected numbers are never recomputed with the project's code.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
MANIFEST = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
FILES = MANIFEST["files"]
ERRORS = MANIFEST["errors"]
NOTE = "conversion: note: "
TIMEOUT = 60
MIME = {".csv": "text/csv", ".txt": "text/plain"}
# Roles a detected-mode argument list may still name, and the role editor's label for each.
ROLE_LABELS = {"--id": "Contact id", "--contact-date": "Contact date"}


def corpus_bytes() -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(CORPUS.iterdir()) if path.is_file()}


# The bytes of every corpus file before any test of this module ran anything.
ORIGINAL_BYTES = corpus_bytes()


def names(entries: list[dict]) -> list[str]:
    return [entry["file"] for entry in entries]


@functools.cache
def cli(file: str, args: tuple[str, ...]) -> subprocess.CompletedProcess:
    """``python -m conversion rates FILE ARGS --format json`` from the repository root."""
    command = [sys.executable, "-m", "conversion", "rates", str(CORPUS / file), *args]
    return subprocess.run(
        [*command, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def run_mode(entry: dict, mode: str) -> tuple[dict, str]:
    """The JSON document and the stderr of a successful run in ``mode``."""
    result = cli(entry["file"], tuple(entry[mode]["args"]))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout), result.stderr


def segment_counts(document: dict, segment: str) -> dict[str, dict[str, int]]:
    return {
        str(row[segment]): {"contacts": int(row["contacts"]), "customers": int(row["customers"])}
        for row in document["segments"]
    }


def note_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(NOTE)]


# ---------------------------------------------------------------------------------------------
# The command line


@pytest.mark.parametrize("mode", ["given", "detected"])
@pytest.mark.parametrize("entry", FILES, ids=names(FILES))
def test_cli_gives_the_hand_counts(entry: dict, mode: str) -> None:
    document, stderr = run_mode(entry, mode)
    assert segment_counts(document, entry["segment"]) == entry["segments"]
    got = {k: document["overall"][k] for k in ("contacts", "customers")}
    assert got == entry["overall"]
    for text in entry[mode]["notes"]:
        assert text in stderr, (text, stderr)


@pytest.mark.parametrize("entry", FILES, ids=names(FILES))
def test_cli_given_and_detected_roles_give_the_same_rows(entry: dict) -> None:
    given, _ = run_mode(entry, "given")
    detected, _ = run_mode(entry, "detected")
    assert detected["segments"] == given["segments"]


@pytest.mark.parametrize("entry", FILES, ids=names(FILES))
def test_cli_says_which_roles_it_detected(entry: dict) -> None:
    _, stderr = run_mode(entry, "detected")
    notes = note_lines(stderr)
    for role, column in entry["detected"]["roles"].items():
        lines = [line for line in notes if role in line]
        assert len(lines) == 1, (role, notes)
        assert column in lines[0], (role, column, lines[0])


@pytest.mark.parametrize("entry", ERRORS, ids=names(ERRORS))
def test_cli_refuses_bad_exports_with_a_message(entry: dict) -> None:
    result = cli(entry["file"], tuple(entry["args"]))
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    for text in entry["stderr"]:
        assert text in result.stderr, (text, result.stderr)


def test_runs_leave_every_corpus_file_unchanged() -> None:
    for entry in FILES:
        for mode in ("given", "detected"):
            cli(entry["file"], tuple(entry[mode]["args"]))
    for entry in ERRORS:
        cli(entry["file"], tuple(entry["args"]))
    now = corpus_bytes()
    assert now.keys() == ORIGINAL_BYTES.keys()
    changed = [name for name, data in now.items() if data != ORIGINAL_BYTES[name]]
    assert not changed


def test_the_generator_rebuilds_the_corpus_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(CORPUS / "make_corpus.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    built = {path.name for path in tmp_path.iterdir()}
    assert built == {*names(FILES), *names(ERRORS), "expected.json"}
    assert built | {"make_corpus.py", "README.md"} == set(ORIGINAL_BYTES)
    for name in built:
        assert (tmp_path / name).read_bytes() == ORIGINAL_BYTES[name], name


# ---------------------------------------------------------------------------------------------
# The app: the same file uploaded, the same segment chosen, the same counts in the table


def upload(name: str, content: bytes) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Upload a file").run()
    mime = MIME[Path(name).suffix]
    at.file_uploader(key="upload").set_value((name, content, mime)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("entry", FILES, ids=names(FILES))
def test_app_upload_gives_the_hand_counts(entry: dict) -> None:
    at = upload(entry["file"], (CORPUS / entry["file"]).read_bytes())
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["dataset"].name == entry["file"]
    args = entry["detected"]["args"]
    for flag, label in ROLE_LABELS.items():
        if flag in args:
            column = args[args.index(flag) + 1]
            box = next(s for s in at.selectbox if s.label == label)
            box.set_value(column).run()
            assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/segments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    segment = entry["segment"]
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    assert segment in picker.options, (segment, picker.options)
    picker.set_value([segment]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    table = at.dataframe[0].value
    got = {
        str(row[segment]): {"contacts": int(row["Contacts"]), "customers": int(row["Customers"])}
        for _, row in table.iterrows()
    }
    assert got == entry["segments"]

"""User text is never HTML or Markdown in the app; nothing is unpickled or evaluated."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP_FILES = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
CODE_FILES = APP_FILES + list((ROOT / "conversion").glob("*.py"))

HOSTILE_COLUMN = "**Lead** [Source](javascript:alert(1))"
HOSTILE_VALUE = "<img src=x onerror=alert(1)>"


def test_the_app_never_renders_raw_html():
    for path in APP_FILES:
        text = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in text, path
        assert not re.search(r"\bst\.html\(", text), path
        assert "components.html" not in text, path


def test_nothing_is_unpickled_or_evaluated():
    for path in CODE_FILES:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(pickle|marshal|shelve)\b", text), path
        assert not re.search(r"(?<![\w.])(eval|exec)\(", text), path


def hostile_export() -> bytes:
    rows = [f"id,{HOSTILE_COLUMN.replace(',', ' ')},converted"]
    for i in range(40):
        segment = HOSTILE_VALUE if i % 2 else "Web"
        rows.append(f'{i},"{segment}",{"yes" if i % 4 == 0 else "no"}')
    return ("\n".join(rows) + "\n").encode()


def test_hostile_names_are_shown_literally():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Upload a file").run()
    name = "[report](javascript:alert(1)).csv"
    at.file_uploader(key="upload").set_value((name, hostile_export(), "text/csv")).run()
    assert not at.exception
    preview = next(s.value for s in at.subheader if s.value.startswith("Preview of"))
    # Every Markdown control character of the file name is escaped.
    assert "\\[report\\]\\(javascript\\:alert\\(1\\)\\)" in preview
    at.switch_page("pages/segments.py").run()
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    picker.set_value([HOSTILE_COLUMN]).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert HOSTILE_VALUE in set(table[HOSTILE_COLUMN])  # data shown as data, unchanged


def test_a_bad_value_in_an_error_message_is_escaped():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Upload a file").run()
    content = b"id,source,converted\n1,Ads,yes\n2,Ads,[x](javascript:alert(1))\n"
    at.file_uploader(key="upload").set_value(("leads.csv", content, "text/csv")).run()
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    message = at.error[0].value
    assert "\\[x\\]\\(javascript\\:alert\\(1\\)\\)" in message


def test_the_cli_never_modifies_its_input(tmp_path):
    source = ROOT / "sample_data" / "b2b_leads.csv"
    orders = ROOT / "sample_data" / "b2b_won_deals.csv"
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (source, orders)]
    subprocess.run(
        [sys.executable, "-m", "conversion", "rates", str(source), "--segment", "lead_source",
         "--id", "lead_id", "--contact-date", "created", "--window-days", "90",
         "--orders", str(orders), "--key", "lead_id", "--orders-date", "won_date",
         "--output", str(tmp_path / "out.csv")],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip
    after = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (source, orders)]
    assert before == after
    assert (tmp_path / "out.csv").read_text().startswith("lead_source,contacts,customers")

"""Record the command line's output on every sample and documented example, or compare two records.

A change that moves code without changing behaviour must leave every byte of the command line's
output as it was. Record before, change, record again and compare:

    python scripts/cli_outputs.py record /tmp/before
    ...
    python scripts/cli_outputs.py record /tmp/after
    python scripts/cli_outputs.py compare /tmp/before /tmp/after

Each case is one ``python -m conversion`` call; its record holds the arguments, the exit status,
stdout and stderr. The cases are the README's sample-data examples, each bundled sample in every
output format, role detection on every sample and corpus file, the corpus files with and without
their roles given, the expected errors, and every ``--help`` text.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
FENCE = re.compile(r"^```[\w-]*\n(.*?)^```\s*$", re.S | re.M)
AS_OF = ["--as-of", "2025-12-31"]  # outputs must not depend on the day the script runs


def readme_examples() -> list[list[str]]:
    """Every ``conversion ...`` command in a README code block that reads sample_data."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for body in FENCE.findall(text):
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.splitlines():
            command = line.strip().removeprefix("$ ").strip()
            if command.startswith("conversion ") and "sample_data/" in command:
                found.append(shlex.split(command)[1:])
    return found


def sample_cases() -> list[list[str]]:
    """Each bundled sample with its own roles, in every format, and its detected roles."""
    sys.path.insert(0, str(ROOT))
    try:
        from conversion.reading.samples import SAMPLES
    except ImportError:  # the layout before the engine was reorganised
        from conversion.samples import SAMPLES  # type: ignore[no-redef]

    cases = []
    for sample in SAMPLES.values():
        d = sample.definition
        args = ["rates", str(sample.contacts_path.relative_to(ROOT))]
        for segment in d.segments:
            args += ["--segment", segment]
        if d.contacts_column and d.customers_column:
            args += ["--contacts", d.contacts_column, "--customers", d.customers_column]
        if d.converted:
            args += ["--converted", d.converted]
        for value in d.customer_values:
            args += ["--customer-value", value]
        if d.id:
            args += ["--id", d.id]
        if d.contact_date:
            args += ["--contact-date", d.contact_date]
        if d.converted_date:
            args += ["--converted-date", d.converted_date]
        if d.window_days is not None:
            args += ["--window-days", str(d.window_days), *AS_OF]
        if d.orders is not None and sample.orders_path is not None:
            args += ["--orders", str(sample.orders_path.relative_to(ROOT))]
            args += ["--key", d.orders.key, "--orders-key", d.orders.right_key]
            if d.orders.orders_date:
                args += ["--orders-date", d.orders.orders_date]
        for fmt in ("table", "csv", "json"):
            cases.append([*args, "--format", fmt])
        cases.append([*args, "--top", "2", "--adjust", "holm", "--bands", "ecommerce"])
        cases.append(["roles", str(sample.contacts_path.relative_to(ROOT))])
    return cases


def corpus_cases() -> list[list[str]]:
    manifest = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    cases = []
    for entry in manifest["files"]:
        path = str((CORPUS / entry["file"]).relative_to(ROOT))
        for mode in ("given", "detected"):
            if mode in entry:
                cases.append(["rates", path, *entry[mode]["args"], "--format", "json"])
                cases.append(["rates", path, *entry[mode]["args"]])
        cases.append(["roles", path])
    for entry in manifest["errors"]:
        path = str((CORPUS / entry["file"]).relative_to(ROOT))
        cases.append(["rates", path, *entry["args"]])
    return cases


def help_cases() -> list[list[str]]:
    return [["--help"], ["rates", "--help"], ["roles", "--help"]]


def error_cases() -> list[list[str]]:
    leads = "sample_data/newsletter_signups.csv"
    return [
        ["rates", leads, "--segment", "nope"],
        ["rates", leads, "--segment", "source", "--converted", "source"],
        ["rates", leads, "--segment", "source", "--bucket", "signup_date=fortnight"],
        ["rates", leads, "--segment", "signup_date", "--bucket", "signup_date=week"],
        ["rates", leads, "--segment", "source", "--window-days", "-3"],
        ["rates", "missing.csv", "--segment", "source"],
        ["rates", leads, "--segment", "source", "--no-detect"],
    ]


def all_cases() -> list[list[str]]:
    cases = readme_examples() + sample_cases() + corpus_cases() + help_cases() + error_cases()
    unique: dict[str, list[str]] = {}
    for case in cases:
        unique.setdefault(shlex.join(case), case)
    return list(unique.values())


def record(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for case in all_cases():
        result = subprocess.run(
            [sys.executable, "-m", "conversion", *case],
            cwd=ROOT,
            capture_output=True,
            timeout=300,
        )
        name = hashlib.sha1(shlex.join(case).encode()).hexdigest()[:12]
        text = (
            f"$ conversion {shlex.join(case)}\nexit {result.returncode}\n"
            f"--- stdout\n{result.stdout.decode('utf-8', 'replace')}"
            f"--- stderr\n{result.stderr.decode('utf-8', 'replace')}"
        )
        (out / f"{name}.txt").write_text(text, encoding="utf-8")
    print(f"{len(all_cases())} outputs recorded in {out}")


def compare(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.glob("*.txt")} | {p.name for p in after.glob("*.txt")})
    differ = 0
    for name in names:
        a = (before / name).read_text(encoding="utf-8") if (before / name).exists() else ""
        b = (after / name).read_text(encoding="utf-8") if (after / name).exists() else ""
        if a != b:
            differ += 1
            sys.stdout.writelines(
                difflib.unified_diff(
                    a.splitlines(keepends=True), b.splitlines(keepends=True), name, name
                )
            )
    print(f"{len(names)} outputs compared, {differ} differ")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("record").add_argument("out", type=Path)
    pair = commands.add_parser("compare")
    pair.add_argument("before", type=Path)
    pair.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "record":
        record(args.out)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())

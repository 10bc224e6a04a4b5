"""Generate a seeded synthetic contacts table for the benchmarks.

    python benchmarks/generate.py --rows 1000000 --seed 7 --out benchmarks/data/1000000
    python benchmarks/generate.py --rows 1000000 --repeat-rows --out benchmarks/data/1000000-repeat

writes ``contacts.csv`` and ``contacts.parquet`` (the same rows) into ``--out``:

- ``contact_id``: string ids (``C`` + 9 digits, not in file order); about 2 % of the rows
  repeat an id seen earlier in the file (the same person twice, on a later line), with a
  contact date 1-120 days before or after the first row and sometimes another source;
  with ``--repeat-rows`` each of those lines is instead an exact copy of the id's first line
  (same source, region, device, contact and converted dates, empty values included), so a
  query that counts distinct ids per segment over the rows is exact;
- ``source`` (8 values, skewed), ``region`` (25, Zipf-like), ``device`` (3): each about
  1.5 % empty;
- ``contact_date``: ISO ``YYYY-MM-DD`` over two years (2023-01-01 to 2024-12-30, growing);
- ``converted_date``: ISO or empty; about 12 % of the contacts converted, with rates that
  depend on the segment, lags roughly exponential between 0 and 200 days and about 1 % of
  negative lags (a data-quality problem the engine reports). Conversions after the extract
  date (the last contact day) are not observed, as in a real export.

In the Parquet file both dates are typed (``Date``), as a Parquet export would have them; in
the CSV they are text. Everything is vectorised (numpy + polars): 10 million rows take well
under a minute, most of it writing the files.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

START = date(2023, 1, 1)
DAYS = 730  # contact dates START .. START + DAYS - 1
DUPLICATE_SHARE = 0.02
NULL_SHARE = 0.015

SOURCES = [
    "Organic search",
    "Paid search",
    "Social",
    "Email",
    "Referral",
    "Direct",
    "Display",
    "Partner",
]
SOURCE_P = [0.30, 0.21, 0.15, 0.11, 0.09, 0.07, 0.045, 0.025]
SOURCE_EFFECT = [0.0, -0.2, -0.6, 0.3, 0.8, 0.1, -0.9, 0.5]  # log-odds

REGIONS = [
    "North America",
    "Western Europe",
    "UK & Ireland",
    "DACH",
    "Nordics",
    "Southern Europe",
    "Eastern Europe",
    "Benelux",
    "France",
    "Iberia",
    "Italy",
    "Middle East",
    "North Africa",
    "Sub-Saharan Africa",
    "India",
    "Southeast Asia",
    "China",
    "Japan",
    "Korea",
    "Australia",
    "New Zealand",
    "Brazil",
    "Mexico",
    "Andean",
    "Southern Cone",
]
DEVICES = ["desktop", "mobile", "tablet"]
DEVICE_P = [0.52, 0.40, 0.08]
DEVICE_EFFECT = [0.2, -0.25, 0.0]

BASE_LOGIT = -1.9  # about 12 % converted overall with the effects above
LAG_SCALE = 28.0  # days; exponential lag, cut at 200
NEGATIVE_LAG_SHARE = 0.01


def _categorical(rng: np.random.Generator, n: int, p: list[float]) -> np.ndarray:
    """Category codes 0..len(p)-1 drawn with probabilities p (normalised)."""
    cumulative = np.cumsum(np.asarray(p, dtype=float) / np.sum(p))
    return np.searchsorted(cumulative, rng.random(n), side="right").astype(np.int16)


def _with_nulls(rng: np.random.Generator, codes: np.ndarray) -> np.ndarray:
    codes = codes.copy()
    codes[rng.random(codes.size) < NULL_SHARE] = -1
    return codes


def _labels(codes: np.ndarray, labels: list[str]) -> pl.Series:
    """Text values for codes; -1 becomes null."""
    series = pl.Series(codes.astype(np.int64))
    mapping = pl.Series(labels, dtype=pl.String)
    return (
        pl.select(pl.when(series >= 0).then(mapping.gather(series.clip(0))).otherwise(None))
        .to_series()
        .rename("x")
    )


def generate(rows: int, seed: int, *, repeat_rows: bool = False) -> pl.DataFrame:
    """The contacts table, ``rows`` rows, reproducible for a given ``seed``.

    With ``repeat_rows`` the repeated lines copy their id's first line exactly; every other
    line is the same as without it (the random draws do not change, so the default output
    for a seed stays what it always was).
    """
    rng = np.random.default_rng(seed)
    duplicates = round(rows * DUPLICATE_SHARE) if rows >= 50 else 0
    people = rows - duplicates

    # People: segments, contact date, conversion.
    source = _categorical(rng, people, SOURCE_P)
    zipf = 1.0 / np.arange(1, len(REGIONS) + 1) ** 0.9
    region = _categorical(rng, people, list(zipf))
    device = _categorical(rng, people, DEVICE_P)
    # A growing business: more contacts later (density rising linearly by 2x over the range).
    u = rng.random(people)
    contact_day = np.floor(DAYS * (np.sqrt(1 + 3 * u) - 1)).astype(np.int64)  # density ∝ 1+x
    contact_day = np.clip(contact_day, 0, DAYS - 1)
    logit = (
        BASE_LOGIT
        + np.asarray(SOURCE_EFFECT)[source]
        + np.asarray(DEVICE_EFFECT)[device]
        + (region % 5 - 2) * 0.12
    )
    converted = rng.random(people) < 1 / (1 + np.exp(-logit))
    lag = np.minimum(np.floor(rng.exponential(LAG_SCALE, people)), 200).astype(np.int64)
    negative = rng.random(people) < NEGATIVE_LAG_SHARE
    lag[negative] = -rng.integers(1, 31, negative.sum())
    converted_day = np.where(converted, contact_day + lag, -1)
    converted_day[converted_day > DAYS - 1] = -1  # not yet observed at extract time
    converted_day[converted_day < -1] = -1  # before the range: drop, keeps dates in range

    # Duplicates: a later line for an earlier person, contact date 1-120 days off (never equal).
    first = rng.choice(people, size=duplicates, replace=False) if duplicates else np.array([], int)
    offset = rng.integers(1, 121, duplicates) * np.where(rng.random(duplicates) < 0.5, -1, 1)
    dup_day = contact_day[first] + offset
    out_of_range = (dup_day < 0) | (dup_day > DAYS - 1)
    dup_day[out_of_range] = contact_day[first][out_of_range] - offset[out_of_range]
    dup_source = source[first].copy()
    switched = rng.random(duplicates) < 0.3
    dup_source[switched] = _categorical(rng, int(switched.sum()), SOURCE_P)
    dup_converted = rng.random(duplicates) < 0.15
    dup_lag = np.minimum(np.floor(rng.exponential(LAG_SCALE, duplicates)), 200).astype(np.int64)
    dup_converted_day = np.where(dup_converted, dup_day + dup_lag, -1)
    dup_converted_day[dup_converted_day > DAYS - 1] = -1

    # File order: people in order, each duplicate somewhere after its first line.
    position = np.concatenate(
        [
            np.arange(people, dtype=np.float64),
            first + 0.5 + rng.random(duplicates) * (people - first),
        ]
    )
    order = np.argsort(position, kind="stable")
    person = np.concatenate([np.arange(people), first])[order]

    def rows_of(base: np.ndarray, dup: np.ndarray) -> np.ndarray:
        return np.concatenate([base, dup])[order]

    source_all = _with_nulls(rng, rows_of(source, dup_source))
    region_all = _with_nulls(rng, rows_of(region, region[first]))
    device_all = _with_nulls(rng, rows_of(device, device[first]))
    contact_all = rows_of(contact_day, dup_day)
    converted_all = rows_of(converted_day, dup_converted_day)
    if repeat_rows:
        # Overwrite after all draws (nulls included) so the other lines keep their values.
        line = np.empty(rows, dtype=np.int64)
        line[order] = np.arange(rows)  # file line of each person's row, then each duplicate's
        copy_to, copy_from = line[people:], line[first]
        for column in (source_all, region_all, device_all, contact_all, converted_all):
            column[copy_to] = column[copy_from]

    # Ids: a bijection of the person number, so ids are unique and not in file order.
    modulus = 1_000_000_007  # prime > any row count used here
    id_number = (person.astype(np.int64) * 48_271 + 12_345) % modulus
    start = pl.lit(START)
    return pl.select(
        ("C" + pl.Series(id_number).cast(pl.String).str.zfill(9)).alias("contact_id"),
        _labels(source_all, SOURCES).alias("source"),
        _labels(region_all, REGIONS).alias("region"),
        _labels(device_all, DEVICES).alias("device"),
        (start + pl.duration(days=pl.Series(contact_all))).cast(pl.Date).alias("contact_date"),
        pl.when(pl.Series(converted_all) >= 0)
        .then(start + pl.duration(days=pl.Series(converted_all)))
        .otherwise(None)
        .cast(pl.Date)
        .alias("converted_date"),
    )


def write(frame: pl.DataFrame, out: Path) -> tuple[Path, Path]:
    """Write ``contacts.csv`` (dates as ISO text, empty for none) and ``contacts.parquet``."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = out / "contacts.csv", out / "contacts.parquet"
    # Write to a temporary name first: an interrupted run never leaves a half file behind.
    for path, writer in (
        (csv_path, lambda p: frame.write_csv(p, date_format="%Y-%m-%d")),
        (parquet_path, lambda p: frame.write_parquet(p)),
    ):
        partial = path.with_suffix(path.suffix + ".partial")
        writer(partial)
        partial.replace(path)
    return csv_path, parquet_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(float(s)), default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "1000000")
    parser.add_argument(
        "--repeat-rows",
        action="store_true",
        help="repeated ids copy their first line exactly (no other date, no other source)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    frame = generate(args.rows, args.seed, repeat_rows=args.repeat_rows)
    made = time.perf_counter()
    csv_path, parquet_path = write(frame, args.out)
    done = time.perf_counter()
    print(
        f"{args.rows:,} rows ({frame['contact_id'].n_unique():,} contacts) in "
        f"{made - started:.1f} s, written in {done - made:.1f} s: "
        f"{csv_path} ({csv_path.stat().st_size / 2**20:,.1f} MB), "
        f"{parquet_path} ({parquet_path.stat().st_size / 2**20:,.1f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

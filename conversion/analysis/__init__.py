"""Analysis: statistics on counts, multiple testing, survival curves, insights and breakdowns."""

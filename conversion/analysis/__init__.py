"""Analysis: statistics on counts, survival curves, insights and exploring breakdowns."""

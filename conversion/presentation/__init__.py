"""Presentation: charts, the results table and its formats, reports and exports."""

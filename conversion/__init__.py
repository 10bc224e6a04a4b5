"""Conversion by Segment: customer conversion rate per segment, with honest statistics.

The engine behind the Streamlit app and the ``conversion`` command: ``io`` loads tables,
``roles`` reads flags and dates, ``rates`` counts contacts and customers per segment in one
polars lazy query, ``stats`` adds intervals and tests, ``charts`` builds Altair charts.
"""

__version__ = "0.1.0"

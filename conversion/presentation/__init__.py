"""Presentation: charts, the results table and its formats, reports, exports and displays.

``formats`` writes every number the same way everywhere; ``charts`` draws, ``report`` computes
what the app's pages show, ``export`` makes the downloads, ``notebook`` the notebook display and
``terminal`` what the command line prints.
"""

"""Dashboards and alerts as code (issue 17, item 1).

``metric_names`` is the one table of every metric name the dashboards and alerts use;
``dashboards`` and ``alerts`` build from it; ``build`` writes the committed files.
"""

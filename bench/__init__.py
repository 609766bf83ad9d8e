"""Benchmarks for newsrag: quality (issue 3), ingest, query, server and load (issue 5).

Run each as a script from the repository root, e.g. `HF_HUB_OFFLINE=1 .venv/bin/python bench/quality.py`.
Each prints one JSON line per configuration on stdout; progress goes to stderr.
"""

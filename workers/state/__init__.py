"""Crawl state behind one protocol, two backends: SQLite beside the archive, Redis."""

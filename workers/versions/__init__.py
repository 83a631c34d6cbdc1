"""What a version is and what becomes of it: the catalogue, the re-crawl schedule, diffs,
the outbox and change feeds, the reference cleaner, reindex.
"""

"""The URL engine, the frontiers and their budgets, and the two runners that drive them:
the embedded crawl and the service's host turn.
"""

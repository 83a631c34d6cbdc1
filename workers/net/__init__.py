"""Talking to web servers: the recording fetcher, the address guard, robots.txt and per-
host politeness, content decoding, HTTP framing.
"""

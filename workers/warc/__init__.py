"""WARC records and files: writing, recovery of .open files, CDXJ, reading back, the
collection's index and layout.
"""

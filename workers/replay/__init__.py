"""The archive for people and replay tools: show, timeline, export (WARC, WACZ), pages,
pywb's environment, opening an archive from the settings.
"""

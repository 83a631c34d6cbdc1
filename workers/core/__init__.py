"""Core types both the I/O shell and the pure code import (an exchange, a frontier item,
record locations, the clock), settings, the error tree, logging.
"""

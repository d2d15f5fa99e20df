"""Replaying a recording (``--record``, HAR 1.2) against another endpoint, and how the answers differ.

``python -m ecrconf.replay DIR [--endpoint=URL]``: see ``ecrconf.replay.__main__``.
"""

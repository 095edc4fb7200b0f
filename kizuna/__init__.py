"""kizuna: the content toolchain of a stage-based parenting-support message service.

This package is the thin application shell (the CLI and the bundled sample workspace); the
work is done by the four packages ``catalog``, ``review``, ``authoring`` and ``exports``.
"""
__version__ = "0.1.0"

"""The built-in export formats, one module each; each module's ``EXPORTER`` is registered under
the entry point group ``kizuna.exporters`` (see :mod:`exports.registry`)."""

"""Exports: rendering per town and locale, export formats and delivery adapters, manifests.

The pipeline (each step a small module, I/O only at the edges):

* :mod:`exports.approval` — which texts are signed off (one call to ``review.signoff.status``);
* :mod:`exports.render` — a :class:`~exports.model.TownCatalog` per town and locale: the town's
  messages rendered with its profile and blocks, with per-channel texts (:mod:`exports.channels`);
* :mod:`exports.formats` — one module per format, each an exporter found through the entry point
  group ``kizuna.exporters`` (:mod:`exports.registry`);
* :mod:`exports.runner` — the parallel export into a staging folder, swapped into place
  atomically (:mod:`exports.atomic`) with a manifest (:mod:`exports.manifest`);
* :mod:`exports.diff` and :mod:`exports.preview` — what changed between two exports, and the dated
  list one registrant would get.
"""

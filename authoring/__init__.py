"""Authoring: the catalog as notebooks and workbooks people edit, and the merge of their edits.

* :mod:`authoring.notebooks` — catalog <-> Jupyter notebooks (writers);
* :mod:`authoring.workbooks` — catalog <-> Excel workbooks (reviewers, translators, towns);
* :mod:`authoring.merge` — the pure merge rules (base vs current vs edited);
* :mod:`authoring.apply` — applying proposals and decisions to the workspace on disk;
* :mod:`authoring.suggestions` — conflicting edits, kept next to the current text;
* :mod:`authoring.importer` — ``import_file`` for either kind of file.
"""

"""kizuna in JupyterLab: the workspace's messages as notebooks that save straight back.

:mod:`kizuna.lab.views` builds the notebooks (one per stage band and locale) with each message's
findings, pending suggestions, sign-off state and its text as one town reads it;
:mod:`kizuna.lab.contents` is the Jupyter Server contents manager that serves them under
``notebooks/`` and merges a saved notebook into the workspace files (the same three-way merge as
``kizuna author import``); ``kizuna lab`` starts JupyterLab with it.
"""

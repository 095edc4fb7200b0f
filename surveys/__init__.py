"""Reader surveys (読者アンケート): questionnaires as workspace files, form export, response
import from forms services, summaries with small-cell suppression, the town's yearly report
(事業報告) and the loop back into the experts' yearly re-review.

Modules: :mod:`.model` (questionnaires under ``surveys/`` in the workspace), :mod:`.forms`
(form definitions for forms services), :mod:`.responses` (import and the local response store),
:mod:`.summary` (pandas summaries and plots), :mod:`.themes` (free-text themes), :mod:`.report`
(the yearly HTML report), :mod:`.loop` (answers linked to messages, the re-review queue).
"""

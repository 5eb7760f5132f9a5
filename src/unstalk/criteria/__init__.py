"""The Coalition Against Stalkerware's criteria as versioned data, and the verdict engine.

:func:`unstalk.criteria.engine.evaluate` turns an app's capabilities and its
indicator-feed matches into a :class:`~unstalk.criteria.model.Verdict`:
stalkerware, watchware, suspicious (possibly dual-use) or no evidence found,
each criterion with the evidence it rests on.
"""

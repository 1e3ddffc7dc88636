"""The rota engine's entry: a `Problem` in, a `Rota` out. Pure: no database, HTTP or printing.

`solve` builds a rota stage by stage in DESIGN's priority order (coverage, stability,
fairness, preferences; `scheduler.engine.stages`); `replan` solves changed inputs against the
published rota and reports what changed (`scheduler.engine.replan`). A `Cancellation` in
the options stops either from another thread (`SolveCancelled`). The rules, objectives and
the independent checker live in `scheduler.engine`.
"""

from scheduler.engine.cpsat import Cancellation, ProgressCallback, SolveCancelled, SolveOptions
from scheduler.engine.replan import replan
from scheduler.engine.stages import solve

__all__ = ["Cancellation", "ProgressCallback", "SolveCancelled", "SolveOptions", "replan",
           "solve"]

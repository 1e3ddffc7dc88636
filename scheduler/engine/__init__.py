"""The rota engine: CP-SAT model and its rules, objectives, solver stages, neighbourhood search,
explanations, re-planning, and the independent checker. Pure: no database, HTTP or printing.
`scheduler.solver` is its entry."""

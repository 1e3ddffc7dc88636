"""The vocabulary of the ED relief rota and its invariants: periods, slots, doctors, answers,
rotas, rules, statuses. Pure data, no I/O; every other package builds on it."""

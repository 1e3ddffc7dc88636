"""ED relief rota: GP availability, the gap model, a CP-SAT rota and iCalendar feeds.

Layers, bottom to top: `domain` and `config`; `engine` (entry: `solver`); `scenario`;
`storage` (tables: `models`); `collection`; `publication`; `web` (app: `api`); `cli`.
"""

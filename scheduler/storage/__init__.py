"""The database: engines and migrations, loading a scenario, rebuilding a period's problem,
rota versions, secret-link tokens. The tables themselves are in `scheduler.models`."""

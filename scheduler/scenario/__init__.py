"""Files in and out: the scenario schema and its expansion into a problem (with the gap model),
and the exchange formats `problem.json` and `rota.json`."""

"""The web layer: request dependencies, error bodies, the JSON API (`api`), the HTML pages
(`pages`) and the feed URLs. Thin: parse, call the layers below, map errors to HTTP."""

"""Publishing rota versions: feed events and documents, feed links and the fast feed lookup;
`ical` renders iCalendar (pure)."""

"""Planning a stored period: the solve itself (`plan`), the solve jobs a manager requests and
follows (`jobs`), the worker that runs them (`runner`), and the task queues that hand them to
workers (`queue`: procrastinate on PostgreSQL, the job table itself on SQLite)."""

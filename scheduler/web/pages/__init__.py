"""Server-rendered French pages: the GP form and agenda, the coordinator view."""

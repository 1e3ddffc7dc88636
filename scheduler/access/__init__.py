"""Who may do what: manager and admin accounts, their passwords, browser sessions and API
tokens, sign-in lock-out, and the sites an account's requests are scoped to (DESIGN, "Who may
see and do what"). GPs and coordinators keep their secret links (`storage.tokens`)."""

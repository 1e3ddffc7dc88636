"""Collecting availability: invitations and personal links, GP answers, roster import, mail."""

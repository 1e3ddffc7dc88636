"""The one configuration object, read from the environment (nothing else reads it)."""

from scheduler.config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]

"""Calls the engine has handled: one row per Asterisk linkedid."""

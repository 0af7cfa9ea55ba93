"""Jinja2 templates of the sandbox Asterisk's configuration (package data)."""

"""Quantities and value notation: what a target or actual cell says."""

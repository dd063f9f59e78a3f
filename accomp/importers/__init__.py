"""Importers at the edge: tables in, changes to the store out, a report for each row."""

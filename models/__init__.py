"""Trained artifacts (shipped as package data ``extract.models``); see README.md here."""

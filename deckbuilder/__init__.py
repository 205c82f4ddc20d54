"""Markdown question-and-answer files to an Anki package."""

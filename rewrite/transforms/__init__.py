"""Transformations of diagrams that are not rewriting by rules: derivatives, path expansion."""

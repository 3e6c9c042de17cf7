"""Entities, quotes and their speakers (spaCy, imported only when a model is
loaded), and their per-article cache and corpus-wide extraction
(:mod:`index.nlp.annotate`)."""

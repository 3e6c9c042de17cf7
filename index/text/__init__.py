"""Pure text passes: cleaning, the tokenizer, sentences, spans, names and
numbers, sentence alignment.

Everything here is plain Python over strings (PyStemmer the one extension):
no Whoosh, numpy or spaCy, directly or through another module, so the diff,
the versions phase and the entity clean-ups can use it without loading any
of them (``[tool.importlinter]`` in pyproject.toml holds it to that).
"""

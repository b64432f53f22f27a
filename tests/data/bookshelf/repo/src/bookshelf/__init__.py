"""A small library catalogue: books, loans and title search."""

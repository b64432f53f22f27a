"""The catalogue of books, keyed by ISBN."""
from dataclasses import dataclass


@dataclass
class Book:
    isbn: str
    title: str
    author: str


class Catalog:
    def __init__(self):
        self.books = {}

    def add(self, book: Book) -> None:
        self.books[book.isbn] = book

    def find(self, isbn: str):
        return self.books.get(isbn)

    def titles(self):
        return sorted(b.title for b in self.books.values())

from bookshelf.catalog import Book, Catalog


def test_catalog_add():
    c = Catalog()
    c.add(Book("1", "Dune", "Herbert"))
    assert c.find("1").title == "Dune"

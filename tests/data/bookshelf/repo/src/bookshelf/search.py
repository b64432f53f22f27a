"""Title search over a catalogue."""


def search_title(catalog, words: str):
    needle = words.lower()
    return [t for t in catalog.titles() if needle in t.lower()]

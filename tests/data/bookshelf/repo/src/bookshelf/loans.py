"""Loans: who has which book, and until when."""
import datetime


class LoanLedger:
    def __init__(self):
        self.loans = {}

    def lend(self, isbn: str, member: str, days: int = 14) -> datetime.date:
        due = datetime.date.today() + datetime.timedelta(days=days)
        self.loans[isbn] = (member, due)
        return due

    def give_back(self, isbn: str) -> None:
        self.loans.pop(isbn, None)


def lend_book(ledger: LoanLedger, isbn: str, member: str) -> datetime.date:
    return ledger.lend(isbn, member)

from bookshelf.loans import LoanLedger, lend_book


def test_lend_book():
    ledger = LoanLedger()
    lend_book(ledger, "1", "ann")
    assert "1" in ledger.loans

"""Stock: the ledger of what is on hand, what each channel may sell, and telling the channels."""

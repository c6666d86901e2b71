"""What partners say about what we sent: 997/999 reconciliation and 824/864 advices."""

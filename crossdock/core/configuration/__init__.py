"""The configuration: its model, loading, checks, and the blocks every part of it is made of."""

"""Returns: a buyer's return in, the warehouse told, its receipt applied, the channel's refund."""

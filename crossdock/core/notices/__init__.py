"""Mails to an order's buyer at each event, for sources whose channel does not send them."""

"""The ship flow: shipments recorded, 856s and 810s, SSCCs and labels, and what goes back to channels."""

"""An order after intake: versions, changes, cancels, holds, and what each destination and source is told."""
